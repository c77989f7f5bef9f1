-- PUBLIC INTERFACE: publish.workforce_declaration (see _publish__models.yml). The share of staff who
-- declared an ethnicity and who chose "prefer not to say", per authority, snapshot and directorate, with
-- disclosure control (methods reference §7): a count of 1..k-1 is "c" with its percentage. Secondary
-- suppression, once in each direction: within a directorate (the statuses add up to its headcount) and
-- within a status across directorates (they add up to 'All directorates'), a lone suppressed count
-- takes the next smallest non-zero count of the same row or column with it.
{% set k = var('disclosure_min_count') %}
with

declaration as (
    select * from {{ ref('workforce_declaration_counts') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

-- Long: one count per directorate and status (declared, prefer not to say, not recorded).
counts as (
    select
        authority_code,
        snapshot_date,
        directorate,
        is_all_directorates,
        status,
        n
    from declaration
    unpivot (n for status in (declared, prefer_not_to_say, not_recorded))
),

primary_flags as (
    select
        *,
        n between 1 and {{ k }} - 1 as is_primary
    from counts
),

in_directorate as (
    select
        *,
        count(*) filter (where is_primary) over directorate_window as suppressed_in_row,
        row_number() over (
            partition by authority_code, snapshot_date, directorate, is_primary or n = 0 order by n, status
        ) as row_rank
    from primary_flags
    window directorate_window as (partition by authority_code, snapshot_date, directorate)
),

row_flags as (
    select
        *,
        is_primary or (suppressed_in_row = 1 and not is_primary and n > 0 and row_rank = 1) as is_row_suppressed
    from in_directorate
),

in_status as (
    select
        *,
        count(*) filter (where is_row_suppressed and not is_all_directorates) over status_window
            as suppressed_in_column,
        row_number() over (
            partition by authority_code, snapshot_date, status, is_all_directorates, is_row_suppressed or n = 0
            order by n, directorate
        ) as column_rank
    from row_flags
    window status_window as (partition by authority_code, snapshot_date, status)
),

flags as (
    select
        *,
        is_row_suppressed
        or (
            suppressed_in_column = 1 and not is_all_directorates and not is_row_suppressed
            and n > 0 and column_rank = 1
        ) as is_suppressed
    from in_status
),

wide as (
    select
        authority_code,
        snapshot_date,
        directorate,
        bool_or(is_suppressed) filter (where status = 'declared') as is_declared_suppressed,
        bool_or(is_suppressed) filter (where status = 'prefer_not_to_say') as is_prefer_not_to_say_suppressed,
        bool_or(is_suppressed) filter (where status = 'not_recorded') as is_not_recorded_suppressed
    from flags
    group by authority_code, snapshot_date, directorate
),

published as (
    select
        declaration.authority_code,
        coalesce(authorities.authority_name, declaration.authority_code) as authority_name,
        declaration.snapshot_date,
        (year(declaration.snapshot_date) - 1)::varchar || '/' || right(year(declaration.snapshot_date)::varchar, 2)
            as reporting_year,
        declaration.directorate,
        declaration.is_all_directorates,
        case when declaration.headcount >= {{ k }} then declaration.headcount end::integer as headcount,
        case when declaration.headcount < {{ k }} then 'c' end as headcount_symbol,
        case when not wide.is_declared_suppressed then declaration.declared end::integer as declared,
        case when not wide.is_declared_suppressed then round(100.0 * declaration.declared / declaration.headcount, 1)
        end as declared_pct,
        case when wide.is_declared_suppressed then 'c' end as declared_symbol,
        case when not wide.is_prefer_not_to_say_suppressed then declaration.prefer_not_to_say end::integer
            as prefer_not_to_say,
        case
            when not wide.is_prefer_not_to_say_suppressed
                then round(100.0 * declaration.prefer_not_to_say / declaration.headcount, 1)
        end as prefer_not_to_say_pct,
        case when wide.is_prefer_not_to_say_suppressed then 'c' end as prefer_not_to_say_symbol,
        case when not wide.is_not_recorded_suppressed then declaration.not_recorded end::integer as not_recorded,
        case
            when not wide.is_not_recorded_suppressed
                then round(100.0 * declaration.not_recorded / declaration.headcount, 1)
        end as not_recorded_pct,
        case when wide.is_not_recorded_suppressed then 'c' end as not_recorded_symbol
    from declaration
    inner join wide
        on
            declaration.authority_code = wide.authority_code
            and declaration.snapshot_date = wide.snapshot_date
            and declaration.directorate = wide.directorate
    left join authorities
        on declaration.authority_code = authorities.authority_code
)

select * from published
order by authority_code asc, snapshot_date asc, is_all_directorates desc, directorate asc

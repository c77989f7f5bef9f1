-- The data team's view of every source: per authority, source and period, what arrived and what
-- happened to it (files, rows in, loaded and quarantined with the commonest rules), how ethnicity was
-- recorded (unknown share, unmapped values), and whether each source is fresh against the cadence
-- its contract expects. Every contract appears, received or not (status 'missing').
--
-- Rows in and rows quarantined are what the ingest asserted per file (raw.load_log); rows loaded are
-- read back from the warehouse (dq_loaded_rows), so rows in = loaded + quarantined (a data test)
-- proves no row was lost between the file and the models. A file holding one authority and period
-- (the usual extract) counts wholly on that row. A file spanning several (a benchmark publication)
-- counts its loaded rows on each, and its quarantined rows on one row per file with no period: a
-- rejected row's period cannot be trusted.
--
-- Counts of rows with unmapped ethnicity (and the unknown share) from 1 to disclosure_min_count - 1
-- records are suppressed (c): they are about people.
{%- set k = var('disclosure_min_count') %}
{%- set as_at = var('data_quality_as_at', none) %}
with

contracts as (
    select * from {{ ref('source_contracts') }}
),

log as (
    select * from {{ ref('stg_ingest__load_log') }}
),

loaded as (
    select * from {{ ref('dq_loaded_rows') }}
),

current_files as (
    select
        source_name,
        file_name,
        file_sha256,
        rows_in,
        rows_quarantined,
        loaded_at,
        file_modified_at
    from log
    where not is_superseded
),

-- Rows the warehouse still holds from a file a later one superseded (a partial replacement): listed
-- under their file, taking what is kept as read, with the superseded file's dates.
kept_rows as (
    select
        loaded.source_name,
        loaded.source_file as file_name,
        sum(loaded.rows_loaded) as rows_in
    from loaded
    where
        not exists (
            select 1 from current_files
            where
                current_files.source_name = loaded.source_name
                and current_files.file_name = loaded.source_file
        )
    group by loaded.source_name, loaded.source_file
),

file_dates as (
    select
        source_name,
        file_name,
        max(loaded_at) as loaded_at,
        max(file_modified_at) as file_modified_at
    from log
    group by source_name, file_name
),

kept_from_superseded as (
    select
        kept_rows.source_name,
        kept_rows.file_name,
        cast(null as varchar) as file_sha256,
        kept_rows.rows_in,
        cast(0 as bigint) as rows_quarantined,
        file_dates.loaded_at,
        file_dates.file_modified_at
    from kept_rows
    left join file_dates
        on kept_rows.source_name = file_dates.source_name and kept_rows.file_name = file_dates.file_name
),

files as (
    select * from current_files
    union all
    select * from kept_from_superseded
),

parts as (
    select
        loaded.*,
        files.rows_in as file_rows_in,
        files.rows_quarantined as file_rows_quarantined,
        files.loaded_at,
        files.file_modified_at,
        count(*) over (partition by loaded.source_name, loaded.source_file) as file_parts
    from loaded
    inner join files
        on loaded.source_name = files.source_name and loaded.source_file = files.file_name
),

file_summary as (
    select
        files.source_name,
        files.file_name,
        files.file_sha256,
        any_value(files.rows_in) as rows_in,
        any_value(files.rows_quarantined) as rows_quarantined,
        any_value(files.loaded_at) as loaded_at,
        any_value(files.file_modified_at) as file_modified_at,
        count(parts.source_file) as file_parts,
        coalesce(sum(parts.rows_loaded), 0) as rows_loaded,
        count(distinct parts.authority_code) as authorities,
        min(parts.authority_code) as any_authority,
        min(parts.period) as any_period
    from files
    left join parts
        on files.source_name = parts.source_name and files.file_name = parts.source_file
    group by files.source_name, files.file_name, files.file_sha256
),

-- Where each file's quarantined rows (and rules) are counted: its one authority and period, or one
-- row with no period (its authority, when it held one) for a file spanning several.
file_home as (
    select
        file_summary.*,
        case when file_summary.file_parts = 1 then file_summary.any_period end as home_period,
        case when file_summary.authorities = 1 then file_summary.any_authority end as home_authority
    from file_summary
),

part_rows as (
    select
        source_name,
        source_file as file_name,
        authority_code,
        period,
        period_end,
        case when file_parts = 1 then file_rows_in else rows_loaded end as rows_in,
        rows_loaded,
        case when file_parts = 1 then file_rows_quarantined else 0 end as rows_quarantined,
        rows_ethnicity_recorded,
        rows_ethnicity_unknown,
        rows_ethnicity_unmapped,
        loaded_at,
        file_modified_at
    from parts
),

-- A multi-part file's quarantined rows, and any rows it read that are not in the warehouse.
residual_rows as (
    select
        source_name,
        file_name,
        home_authority as authority_code,
        cast(null as varchar) as period,
        cast(null as date) as period_end,
        rows_in - rows_loaded as rows_in,
        cast(0 as bigint) as rows_loaded,
        rows_quarantined,
        cast(0 as bigint) as rows_ethnicity_recorded,
        cast(0 as bigint) as rows_ethnicity_unknown,
        cast(0 as bigint) as rows_ethnicity_unmapped,
        loaded_at,
        file_modified_at
    from file_home
    where file_parts != 1 and (file_parts = 0 or rows_in != rows_loaded or rows_quarantined != 0)
),

file_rows as (
    select * from part_rows
    union all
    select * from residual_rows
),

by_period as (
    select
        source_name,
        authority_code,
        period,
        max(period_end) as period_end,
        count(distinct file_name) as files,
        sum(rows_in) as rows_in,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        sum(rows_ethnicity_recorded) as rows_ethnicity_recorded,
        sum(rows_ethnicity_unknown) as rows_ethnicity_unknown,
        sum(rows_ethnicity_unmapped) as rows_ethnicity_unmapped,
        max(loaded_at) as latest_loaded_at,
        cast(max(file_modified_at) as date) as latest_file_date
    from file_rows
    group by source_name, authority_code, period
),

rule_counts as (
    select
        file_home.source_name,
        file_home.home_authority as authority_code,
        file_home.home_period as period,
        quarantine.rule,
        count(distinct quarantine.source_row) as n_rows
    from {{ ref('stg_ingest__quarantine') }} as quarantine
    inner join file_home
        on
            quarantine.source_name = file_home.source_name
            and quarantine.file_sha256 = file_home.file_sha256
    group by all
),

rule_totals as (
    select
        source_name,
        authority_code,
        period,
        rule,
        sum(n_rows) as n_rows
    from rule_counts
    group by source_name, authority_code, period, rule
),

ranked_rules as (
    select
        *,
        row_number() over (
            partition by source_name, authority_code, period order by n_rows desc, rule asc
        ) as rule_rank
    from rule_totals
),

top_rules as (
    select
        source_name,
        authority_code,
        period,
        string_agg(rule || ' (' || n_rows || ')', '; ' order by n_rows desc, rule asc) as top_quarantine_rules
    from ranked_rules
    where rule_rank <= 3
    group by source_name, authority_code, period
),

unmapped_values as (
    select
        unmapped.source_name,
        case when contracts.is_per_authority then unmapped.authority_code end as authority_code,
        unmapped.period,
        count(distinct unmapped.ethnicity_recorded) as unmapped_values
    from {{ ref('dq_unmapped_ethnicity') }} as unmapped
    inner join contracts on unmapped.source_name = contracts.source_name
    group by all
),

-- The authorities this warehouse reports on: those any council extract was received for.
reported_authorities as (
    select distinct by_period.authority_code
    from by_period
    inner join contracts on by_period.source_name = contracts.source_name
    where contracts.is_per_authority and by_period.authority_code is not null
),

authorities_reported as (
    select count(*) > 0 as any_reported from reported_authorities
),

-- Every council source for every authority reported on (or once, when none is), and every
-- publication covering many areas once.
expected as (
    select
        contracts.source_name,
        reported_authorities.authority_code
    from contracts
    cross join authorities_reported
    left join reported_authorities on contracts.is_per_authority
    where
        reported_authorities.authority_code is not null
        or not contracts.is_per_authority
        or not authorities_reported.any_reported
),

missing as (
    select
        expected.source_name,
        expected.authority_code,
        cast(null as varchar) as period,
        cast(null as date) as period_end,
        cast(0 as bigint) as files,
        cast(0 as hugeint) as rows_in,
        cast(0 as hugeint) as rows_loaded,
        cast(0 as hugeint) as rows_quarantined,
        cast(0 as hugeint) as rows_ethnicity_recorded,
        cast(0 as hugeint) as rows_ethnicity_unknown,
        cast(0 as hugeint) as rows_ethnicity_unmapped,
        cast(null as timestamp) as latest_loaded_at,
        cast(null as date) as latest_file_date
    from expected
    where not exists (
        select 1 from by_period
        where
            by_period.source_name = expected.source_name
            and by_period.authority_code is not distinct from expected.authority_code
    )
),

all_rows as (
    select * from by_period
    union all
    select * from missing
),

freshness as (
    select
        source_name,
        authority_code,
        max(period_end) as source_latest_period_end,
        max(latest_file_date) as source_latest_file_date
    from all_rows
    group by source_name, authority_code
),

measured as (
    select
        all_rows.*,
        contracts.title as source_title,
        contracts.domain,
        contracts.cadence_days,
        freshness.source_latest_period_end,
        freshness.source_latest_file_date,
        coalesce(unmapped_values.unmapped_values, 0) as unmapped_values,
        top_rules.top_quarantine_rules,
        {% if as_at %}cast('{{ as_at }}' as date){% else %}current_date{% endif %} as as_at_date
    from all_rows
    inner join contracts on all_rows.source_name = contracts.source_name
    inner join freshness
        on
            all_rows.source_name = freshness.source_name
            and all_rows.authority_code is not distinct from freshness.authority_code
    left join unmapped_values
        on
            all_rows.source_name = unmapped_values.source_name
            and all_rows.authority_code is not distinct from unmapped_values.authority_code
            and all_rows.period = unmapped_values.period
    left join top_rules
        on
            all_rows.source_name = top_rules.source_name
            and all_rows.authority_code is not distinct from top_rules.authority_code
            and all_rows.period is not distinct from top_rules.period
),

symbols as (
    select
        *,
        case
            when files = 0 then 'x'
            when rows_ethnicity_recorded = 0 then 'z'
            when rows_ethnicity_unknown > 0 and rows_ethnicity_unknown < {{ k }} then 'c'
        end as ethnicity_unknown_share_symbol,
        case
            when files = 0 then 'x'
            when rows_ethnicity_recorded = 0 then 'z'
            when rows_ethnicity_unmapped > 0 and rows_ethnicity_unmapped < {{ k }} then 'c'
        end as unmapped_symbol,
        date_diff('day', source_latest_period_end, as_at_date) as days_since_latest_period,
        date_diff('day', source_latest_file_date, as_at_date) as days_since_latest_extract
    from measured
),

final as (
    select
        symbols.authority_code,
        authorities_seed.authority_name,
        symbols.source_name,
        symbols.source_title,
        symbols.domain,
        symbols.period,
        symbols.period_end,
        cast(symbols.files as integer) as files,
        cast(symbols.rows_in as bigint) as rows_in,
        cast(symbols.rows_loaded as bigint) as rows_loaded,
        cast(symbols.rows_quarantined as bigint) as rows_quarantined,
        symbols.top_quarantine_rules,
        case
            when symbols.ethnicity_unknown_share_symbol is null
                then round(symbols.rows_ethnicity_unknown / symbols.rows_ethnicity_recorded, 4)
        end as ethnicity_unknown_share,
        symbols.ethnicity_unknown_share_symbol,
        case
            when symbols.unmapped_symbol is null then cast(symbols.unmapped_values as integer)
        end as unmapped_ethnicity_values,
        symbols.unmapped_symbol as unmapped_ethnicity_values_symbol,
        case
            when symbols.unmapped_symbol is null then cast(symbols.rows_ethnicity_unmapped as bigint)
        end as unmapped_ethnicity_rows,
        symbols.unmapped_symbol as unmapped_ethnicity_rows_symbol,
        symbols.latest_loaded_at,
        symbols.latest_file_date,
        symbols.cadence_days,
        symbols.source_latest_period_end,
        cast(symbols.days_since_latest_period as integer) as days_since_latest_period,
        symbols.source_latest_file_date,
        cast(symbols.days_since_latest_extract as integer) as days_since_latest_extract,
        coalesce(symbols.days_since_latest_extract > symbols.cadence_days, symbols.source_latest_file_date is null)
            as is_stale,
        case
            when symbols.files = 0 then 'missing'
            when coalesce(symbols.days_since_latest_extract > symbols.cadence_days, false) then 'stale'
            when symbols.rows_quarantined > 0 then 'rows quarantined'
            when symbols.rows_ethnicity_unmapped > 0 then 'unmapped ethnicity'
            else 'ok'
        end as status,
        symbols.as_at_date
    from symbols
    left join {{ ref('authorities') }} as authorities_seed
        on symbols.authority_code = authorities_seed.authority_code
)

select * from final
order by source_name, authority_code nulls first, period_end nulls last, period nulls last

-- PUBLIC INTERFACE: publish.top_earners (see _publish__models.yml). The ethnic minority share of the
-- top 5% of earners per authority and snapshot, with its 95% Wilson interval, against the target held
-- in seeds/reference/workforce_targets.csv, and progress since the first snapshot. Disclosure control
-- (methods reference §7): when the ethnic minority or White British top earners are 1 to k - 1, the
-- counts, share, interval and everything derived from them are "c"; when those of unknown ethnicity
-- are, the top-earner headcount (from which they would follow) is "c".
{% set k = var('disclosure_min_count') %}
with

top as (
    select * from {{ ref('workforce_top_earners') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

flags as (
    select
        *,
        top_minority between 1 and {{ k }} - 1
        or top_known - top_minority between 1 and {{ k }} - 1 as is_share_suppressed,
        top_earners - top_known between 1 and {{ k }} - 1 as is_headcount_suppressed
    from top
),

progress as (
    select
        *,
        first_value(is_share_suppressed) over authority_years as is_first_suppressed
    from flags
    window authority_years as (
        partition by authority_code order by snapshot_date
        rows between unbounded preceding and unbounded following
    )
),

final as (
    select
        progress.authority_code,
        coalesce(authorities.authority_name, progress.authority_code) as authority_name,
        progress.snapshot_date,
        case
            when month(progress.snapshot_date) <= 3
                then
                    (year(progress.snapshot_date) - 1)::varchar
                    || '/' || right(year(progress.snapshot_date)::varchar, 2)
            else
                year(progress.snapshot_date)::varchar
                || '/' || right((year(progress.snapshot_date) + 1)::varchar, 2)
        end as reporting_year,
        progress.full_pay_relevant_headcount::integer as full_pay_relevant_headcount,
        round(progress.threshold_hourly_pay, 2) as threshold_hourly_pay,
        case when not progress.is_headcount_suppressed then progress.top_earners end::integer
            as top_earners_headcount,
        case when progress.is_headcount_suppressed then 'c' end as headcount_symbol,
        case when not progress.is_share_suppressed then progress.top_known end::integer
            as top_earners_known_ethnicity,
        case when not progress.is_share_suppressed then progress.top_minority end::integer
            as top_earners_ethnic_minority,
        case when not progress.is_share_suppressed then round(progress.minority_share_pct, 1) end
            as minority_share_pct,
        case when not progress.is_share_suppressed then round(progress.minority_share_lower_ci, 1) end
            as minority_share_lower_ci,
        case when not progress.is_share_suppressed then round(progress.minority_share_upper_ci, 1) end
            as minority_share_upper_ci,
        case
            when progress.is_share_suppressed then 'c'
            when progress.top_known = 0 then 'x'
        end as share_symbol,
        round(progress.workforce_minority_share_pct, 1) as workforce_minority_share_pct,
        progress.target_id,
        progress.target_value_pct::double as target_pct,
        progress.target_year::integer as target_year,
        progress.target_source,
        case when not progress.is_share_suppressed then round(progress.gap_to_target_pp, 1) end
            as gap_to_target_pp,
        case when not progress.is_share_suppressed then progress.is_target_met end as is_target_met,
        case when not progress.is_share_suppressed then progress.compared_with_target end
            as compared_with_target,
        progress.first_snapshot_date,
        case
            when not (progress.is_share_suppressed or progress.is_first_suppressed)
                then round(progress.change_since_first_pp, 1)
        end as change_since_first_pp
    from progress
    left join authorities
        on progress.authority_code = authorities.authority_code
)

select * from final
order by authority_code, snapshot_date

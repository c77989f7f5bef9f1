-- The top 5% of earners per authority and snapshot and their ethnic minority share, with a Wilson
-- interval, against the target held as data (seed workforce_targets), and progress since the first
-- snapshot. Top 5%: full-pay relevant employees whose hourly pay is at least the 95th percentile of
-- hourly pay over all full-pay relevant employees (linear interpolation between order statistics,
-- numpy's default); the share is among those of known ethnicity.
{% set target_id = 'top5_minority_share' %}
with

employees as (
    select * from {{ ref('int_hr__hourly_pay') }}
    where is_full_pay_relevant
),

targets as (
    select * from {{ ref('workforce_targets') }}
    where target_id = '{{ target_id }}'
),

classified as (
    select
        *,
        ethnicity_status = 'known' as is_known,
        ethnicity_status = 'known' and census_code != '{{ var("pay_gap_comparator_code") }}' as is_minority
    from employees
),

thresholds as (
    select
        authority_code,
        snapshot_date,
        quantile_cont(hourly_pay, 0.95) as threshold_hourly_pay,
        count(*) as full_pay_relevant_headcount,
        count(*) filter (where is_known) as workforce_known,
        count(*) filter (where is_minority) as workforce_minority
    from classified
    group by authority_code, snapshot_date
),

top_counts as (
    select
        thresholds.authority_code,
        thresholds.snapshot_date,
        count(*) as top_earners,
        count(*) filter (where classified.is_known) as top_known,
        count(*) filter (where classified.is_minority) as top_minority
    from classified
    inner join thresholds
        on
            classified.authority_code = thresholds.authority_code
            and classified.snapshot_date = thresholds.snapshot_date
            and classified.hourly_pay >= thresholds.threshold_hourly_pay
    group by thresholds.authority_code, thresholds.snapshot_date
),

estimates as (
    select
        thresholds.*,
        top_counts.top_earners,
        top_counts.top_known,
        top_counts.top_minority,
        100.0 * top_counts.top_minority / nullif(top_counts.top_known, 0) as minority_share_pct,
        100.0 * obs_wilson_lower(top_counts.top_minority, top_counts.top_known, 0.95) as minority_share_lower_ci,
        100.0 * obs_wilson_upper(top_counts.top_minority, top_counts.top_known, 0.95) as minority_share_upper_ci,
        100.0 * thresholds.workforce_minority / nullif(thresholds.workforce_known, 0) as workforce_minority_share_pct
    from thresholds
    inner join top_counts
        on
            thresholds.authority_code = top_counts.authority_code
            and thresholds.snapshot_date = top_counts.snapshot_date
),

-- The target for each snapshot: the authority's own rows before the '*' default; among them the
-- first target due in or after the snapshot's year, or, once every due year has passed, the last.
target_candidates as (
    select
        estimates.authority_code,
        estimates.snapshot_date,
        targets.target_id,
        targets.target_value_pct,
        targets.target_year,
        targets.source as target_source,
        row_number() over (
            partition by estimates.authority_code, estimates.snapshot_date
            order by
                targets.authority_code = '*',
                targets.target_year < year(estimates.snapshot_date),
                case
                    when targets.target_year >= year(estimates.snapshot_date) then targets.target_year
                    else -targets.target_year
                end
        ) as preference
    from estimates
    inner join targets
        on targets.authority_code in (estimates.authority_code, '*')
),

with_targets as (
    select
        estimates.*,
        target_candidates.target_id,
        target_candidates.target_value_pct,
        target_candidates.target_year,
        target_candidates.target_source
    from estimates
    left join target_candidates
        on
            estimates.authority_code = target_candidates.authority_code
            and estimates.snapshot_date = target_candidates.snapshot_date
            and target_candidates.preference = 1
),

final as (
    select
        *,
        minority_share_pct - target_value_pct as gap_to_target_pp,
        minority_share_pct >= target_value_pct as is_target_met,
        obs_compare(
            minority_share_pct, minority_share_lower_ci, minority_share_upper_ci, target_value_pct, 'high_is_good'
        ) as compared_with_target,
        first_value(snapshot_date) over authority_years as first_snapshot_date,
        minority_share_pct - first_value(minority_share_pct) over authority_years as change_since_first_pp
    from with_targets
    window authority_years as (
        partition by authority_code order by snapshot_date
        rows between unbounded preceding and unbounded following
    )
)

select * from final

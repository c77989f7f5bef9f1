-- PUBLIC INTERFACE: publish.pay_gap_by_sex (see _publish__models.yml). The gender pay gap (women
-- against men) and ethnicity x sex gaps (against White British men), computed by the same mart as
-- publish.pay_gap and published through the same disclosure control and reporting-level rule
-- (macro pay_gap_disclosure). A table of its own, so every row of publish.pay_gap stays an
-- ethnicity gap against White British and no reader of it double counts.
with

gaps as (
    select * from {{ ref('workforce_pay_gap') }}
    where dimension in ('sex', 'ethnicity_sex')
),

{{ pay_gap_disclosure('gaps') }},

final as (
    select
        authority_code,
        authority_name,
        snapshot_date,
        reporting_year,
        dimension,
        ethnicity_level,
        ethnicity_group,
        sex,
        display_order,
        comparator_group,
        comparator_sex,
        is_comparator,
        relevant_headcount,
        headcount_symbol,
        full_pay_relevant_headcount,
        full_pay_headcount_symbol,
        mean_hourly_pay,
        median_hourly_pay,
        pay_symbol,
        mean_hourly_gap_pct,
        median_hourly_gap_pct,
        gap_symbol,
        bonus_recipient_pct,
        mean_bonus_gap_pct,
        median_bonus_gap_pct,
        bonus_symbol,
        is_headline,
        headline_level,
        headline_reason
    from pay_gap_published
)

select * from final
order by authority_code, snapshot_date, dimension, ethnicity_level, display_order, ethnicity_group, sex

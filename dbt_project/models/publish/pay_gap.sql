-- PUBLIC INTERFACE: publish.pay_gap (see _publish__models.yml). Ethnicity pay gaps with disclosure
-- control (methods reference §7) and the reporting-level rule of the 2023 guidance, both from the
-- macro pay_gap_disclosure, which publish.pay_gap_by_sex shares: headcounts 1..k-1 are "c", and so
-- are those the disclosure engine hides so that none can be recovered by subtraction across both
-- tables (int_disclosure__pay_gap_flags); pay statistics need at least pay_gap_min_group_size
-- employees in the group and the comparator.
with

gaps as (
    select * from {{ ref('workforce_pay_gap') }}
    where dimension = 'ethnicity'
),

{{ pay_gap_disclosure('gaps') }},

final as (
    select
        authority_code,
        authority_name,
        snapshot_date,
        reporting_year,
        ethnicity_level,
        ethnicity_group,
        display_order,
        comparator_group,
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
order by authority_code, snapshot_date, ethnicity_level, display_order, ethnicity_group

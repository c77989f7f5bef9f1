-- Events and bases of every WRES-pattern relative likelihood (methods reference §3 stage-by-stage, §6),
-- one row per authority x financial year x measure x ethnicity level x group (known ethnicity), with
-- the base's declaration counts on every row. Each stage uses the preceding stage as its base:
--   shortlisted_from_application   applications shortlisted / applications
--   appointed_from_shortlisting    applications appointed / applications shortlisted
--   entering_<case type>           staff with a case of that type opened in the year / staff on the
--                                  payroll snapshot closing the year (one measure per case type held)
--   leaving, leaving_<reason>      staff on the snapshot opening the year who left (for that reason) /
--                                  that snapshot's staff (no opening snapshot loaded: no rows)
--   <reason>_share_of_leavers      leavings for that reason / all leavings in the year
--   accessing_non_mandatory_training, promotion, acting_up
--                                  staff with such a record in the year / the closing snapshot's staff
-- Employee-linked events count persons (distinct employee_key) who are on the base snapshot, classified
-- by the payroll's ethnicity, so every event is inside its base. Counts are aggregated to Census code
-- before the levels are built, so the model stays small at England scale.
with

applications as (
    select * from {{ ref('stg_hr__applications') }}
),

cases as (
    select * from {{ ref('stg_hr__cases') }}
),

leavers as (
    select * from {{ ref('stg_hr__leavers') }}
),

training as (
    select * from {{ ref('stg_hr__training') }}
),

payroll as (
    select * from {{ ref('stg_hr__payroll') }}
),

-- A case type or leaving reason becomes a measure for every loaded year of an authority that
-- records it at all, so a year without such a case is a true zero, not a missing row.
case_types as (
    select distinct
        authority_code,
        case_type,
        'entering_' || lower(regexp_replace(case_type, '[^A-Za-z0-9]+', '_', 'g')) as measure
    from cases
),

leaving_reasons as (
    select distinct
        authority_code,
        leaving_reason,
        lower(regexp_replace(leaving_reason, '[^A-Za-z0-9]+', '_', 'g')) as reason_slug
    from leavers
),

casework_years as (
    select distinct
        authority_code,
        financial_year,
        year_ending
    from cases
),

leaver_years as (
    select distinct
        authority_code,
        financial_year,
        opening_snapshot_date
    from leavers
),

training_years as (
    select distinct
        authority_code,
        financial_year,
        year_ending
    from training
),

-- One row per base unit and measure, flagged when the unit had the event.
recruitment_units as (
    select
        authority_code,
        financial_year,
        'hr_recruitment' as source_name,
        'shortlisted_from_application' as measure,
        'shortlisting' as measure_family,
        null::varchar as measure_detail,
        'applications' as base_name,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        ethnicity_status,
        was_shortlisted as is_event
    from applications
    union all
    select
        authority_code,
        financial_year,
        'hr_recruitment' as source_name,
        'appointed_from_shortlisting' as measure,
        'appointment' as measure_family,
        null::varchar as measure_detail,
        'shortlisted' as base_name,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        ethnicity_status,
        was_appointed as is_event
    from applications
    where was_shortlisted
),

persons_with_case as (
    select distinct
        authority_code,
        year_ending,
        employee_key,
        case_type
    from cases
),

casework_units as (
    select
        payroll.authority_code,
        casework_years.financial_year,
        'hr_casework' as source_name,
        case_types.measure,
        'casework' as measure_family,
        case_types.case_type as measure_detail,
        'headcount' as base_name,
        payroll.census_code,
        payroll.ethnicity_group,
        payroll.ethnicity_major_group,
        payroll.ethnicity_display_order,
        payroll.ethnicity_status,
        persons_with_case.employee_key is not null as is_event
    from payroll
    inner join casework_years
        on
            payroll.authority_code = casework_years.authority_code
            and payroll.snapshot_date = casework_years.year_ending
    inner join case_types
        on payroll.authority_code = case_types.authority_code
    left join persons_with_case
        on
            payroll.authority_code = persons_with_case.authority_code
            and payroll.snapshot_date = persons_with_case.year_ending
            and payroll.employee_key = persons_with_case.employee_key
            and case_types.case_type = persons_with_case.case_type
),

persons_leaving as (
    select
        authority_code,
        opening_snapshot_date,
        employee_key,
        list_distinct(list(leaving_reason)) as reasons
    from leavers
    group by authority_code, opening_snapshot_date, employee_key
),

opening_staff as (
    select
        payroll.*,
        leaver_years.financial_year,
        persons_leaving.reasons
    from payroll
    inner join leaver_years
        on
            payroll.authority_code = leaver_years.authority_code
            and payroll.snapshot_date = leaver_years.opening_snapshot_date
    left join persons_leaving
        on
            payroll.authority_code = persons_leaving.authority_code
            and payroll.snapshot_date = persons_leaving.opening_snapshot_date
            and payroll.employee_key = persons_leaving.employee_key
),

leaving_units as (
    select
        authority_code,
        financial_year,
        'hr_leavers' as source_name,
        'leaving' as measure,
        'leaving' as measure_family,
        null::varchar as measure_detail,
        'headcount_start' as base_name,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        ethnicity_status,
        reasons is not null as is_event
    from opening_staff
    union all
    select
        opening_staff.authority_code,
        opening_staff.financial_year,
        'hr_leavers' as source_name,
        'leaving_' || leaving_reasons.reason_slug as measure,
        'leaving_reason' as measure_family,
        leaving_reasons.leaving_reason as measure_detail,
        'headcount_start' as base_name,
        opening_staff.census_code,
        opening_staff.ethnicity_group,
        opening_staff.ethnicity_major_group,
        opening_staff.ethnicity_display_order,
        opening_staff.ethnicity_status,
        coalesce(list_contains(opening_staff.reasons, leaving_reasons.leaving_reason), false) as is_event
    from opening_staff
    inner join leaving_reasons
        on opening_staff.authority_code = leaving_reasons.authority_code
    union all
    -- The share of leavers needs no payroll: every leaving counts, classified by the leavers file
    -- (which carries the payroll's label), so the first year, without an opening snapshot, has it too.
    select
        leavers.authority_code,
        leavers.financial_year,
        'hr_leavers' as source_name,
        leaving_reasons.reason_slug || '_share_of_leavers' as measure,
        'reason_share_of_leavers' as measure_family,
        leaving_reasons.leaving_reason as measure_detail,
        'leavers' as base_name,
        leavers.census_code,
        leavers.ethnicity_group,
        leavers.ethnicity_major_group,
        leavers.ethnicity_display_order,
        leavers.ethnicity_status,
        leavers.leaving_reason = leaving_reasons.leaving_reason as is_event
    from leavers
    inner join leaving_reasons
        on leavers.authority_code = leaving_reasons.authority_code
),

persons_training as (
    select
        authority_code,
        year_ending,
        employee_key,
        bool_or(is_non_mandatory_course) as had_non_mandatory_course,
        bool_or(is_promotion) as was_promoted,
        bool_or(is_acting_up) as acted_up
    from training
    group by authority_code, year_ending, employee_key
),

closing_staff as (
    select
        payroll.*,
        training_years.financial_year,
        coalesce(persons_training.had_non_mandatory_course, false) as had_non_mandatory_course,
        coalesce(persons_training.was_promoted, false) as was_promoted,
        coalesce(persons_training.acted_up, false) as acted_up
    from payroll
    inner join training_years
        on
            payroll.authority_code = training_years.authority_code
            and payroll.snapshot_date = training_years.year_ending
    left join persons_training
        on
            payroll.authority_code = persons_training.authority_code
            and payroll.snapshot_date = persons_training.year_ending
            and payroll.employee_key = persons_training.employee_key
),

training_units as (
    select
        closing_staff.authority_code,
        closing_staff.financial_year,
        'hr_training' as source_name,
        activities.measure,
        activities.measure_family,
        null::varchar as measure_detail,
        'headcount' as base_name,
        closing_staff.census_code,
        closing_staff.ethnicity_group,
        closing_staff.ethnicity_major_group,
        closing_staff.ethnicity_display_order,
        closing_staff.ethnicity_status,
        case activities.measure
            when 'accessing_non_mandatory_training' then closing_staff.had_non_mandatory_course
            when 'promotion' then closing_staff.was_promoted
            when 'acting_up' then closing_staff.acted_up
        end as is_event
    from closing_staff
    cross join (
        values
        ('accessing_non_mandatory_training', 'training'),
        ('promotion', 'progression'),
        ('acting_up', 'progression')
    ) as activities (measure, measure_family)
),

units as (
    select * from recruitment_units
    union all
    select * from casework_units
    union all
    select * from leaving_units
    union all
    select * from training_units
),

-- Declaration among each measure's base (applicants or staff), for the declaration columns.
declaration as (
    select
        authority_code,
        financial_year,
        measure,
        count(*) as base_all,
        count(*) filter (where ethnicity_status in ('known', 'unmapped')) as base_declared,
        count(*) filter (where ethnicity_status = 'prefer_not_to_say') as base_prefer_not_to_say
    from units
    group by authority_code, financial_year, measure
),

by_code as (
    select
        authority_code,
        financial_year,
        source_name,
        measure,
        measure_family,
        measure_detail,
        base_name,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        count(*) filter (where is_event) as events,
        count(*) as base
    from units
    where ethnicity_status = 'known'
    group by all
),

levels as (
    {{ workforce_ethnicity_levels('by_code') }}
),

cells as (
    select
        authority_code,
        financial_year,
        source_name,
        measure,
        measure_family,
        measure_detail,
        base_name,
        ethnicity_level,
        ethnicity_code,
        reported_group as ethnicity_group,
        min(reported_order)::integer as display_order,
        any_value(parent_group) as parent_group,
        sum(events)::integer as events,
        sum(base)::integer as base
    from levels
    group by all
),

final as (
    select
        cells.*,
        make_date(left(cells.financial_year, 4)::integer + 1, 3, 31) as year_ending,
        declaration.base_all::integer as base_all,
        declaration.base_declared::integer as base_declared,
        declaration.base_prefer_not_to_say::integer as base_prefer_not_to_say
    from cells
    inner join declaration
        on
            cells.authority_code = declaration.authority_code
            and cells.financial_year = declaration.financial_year
            and cells.measure = declaration.measure
)

select * from final

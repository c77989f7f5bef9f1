-- Education outcome cells: pupils on the spring census with their EYFSP, KS4 and exclusions outcomes
-- joined by pseudonymised UPN and academic year, aggregated by outcome_cells (ethnicity at the DfE
-- extended, main and major levels and custom groups, by sex, FSM and SEN), then one row per indicator.
-- Denominators are pupils on the census (rates, SEN), Reception pupils assessed (GLD) and Year 11
-- pupils with results (KS4). Outcome rows whose pupil is not on that year's census drop out here:
-- the ingest contracts already quarantine them, so none are expected.
{%- set indicators = {
    'edu_gld_pct': {'numerator': 'gld', 'denominator': 'gld_assessed', 'unknown': 'gld_assessed_unknown'},
    'edu_attainment8_avg': {
        'numerator': 'attainment8_sum', 'denominator': 'ks4_pupils', 'unknown': 'ks4_pupils_unknown',
        'sum_squares': 'attainment8_sum_squares',
    },
    'edu_em_grade5_pct': {
        'numerator': 'em_grade5', 'denominator': 'em_grade5_assessed', 'unknown': 'em_grade5_assessed_unknown',
    },
    'edu_suspension_rate': {'numerator': 'suspensions', 'denominator': 'pupils', 'unknown': 'pupils_unknown'},
    'edu_one_plus_suspension_pct': {
        'numerator': 'pupils_suspended', 'denominator': 'pupils', 'unknown': 'pupils_unknown',
    },
    'edu_permanent_exclusion_rate': {
        'numerator': 'permanent_exclusions', 'denominator': 'pupils', 'unknown': 'pupils_unknown',
    },
    'edu_sen_support_pct': {'numerator': 'sen_support', 'denominator': 'pupils', 'unknown': 'pupils_unknown'},
    'edu_ehc_plan_pct': {'numerator': 'ehc_plan', 'denominator': 'pupils', 'unknown': 'pupils_unknown'},
} %}
with

pupils as (
    select * from {{ ref('stg_school_census__pupils') }}
),

eyfsp as (
    select
        upn_key,
        authority_code,
        academic_year,
        bool_or(is_gld) as is_gld
    from {{ ref('stg_eyfsp__assessments') }}
    group by all
),

ks4 as (
    select
        upn_key,
        authority_code,
        academic_year,
        max(attainment8) as attainment8,
        bool_or(is_em_grade5) as is_em_grade5
    from {{ ref('stg_ks4__results') }}
    group by all
),

exclusions as (
    select
        upn_key,
        authority_code,
        academic_year,
        count(*) filter (where not is_permanent) as suspensions,
        count(*) filter (where is_permanent) as permanent_exclusions
    from {{ ref('stg_exclusions__events') }}
    group by all
),

pupil_outcomes as (
    select
        pupils.authority_code,
        pupils.academic_year as period,
        cast(left(pupils.academic_year, 4) as integer) + 1 as period_end_year,
        if(pupils.ethnicity_code_detailed != pupils.dfe_main_code, pupils.ethnicity_code_detailed, null)
            as eth_extended,
        pupils.ethnicity_code_detailed as eth_detailed,
        pupils.dfe_main_code as eth_dfe_main,
        pupils.census_code as eth_census2021,
        pupils.ethnicity_major_group as eth_major,
        pupils.sex,
        if(pupils.is_fsm_eligible, 'FSM', 'Not FSM') as fsm,
        pupils.sen_provision_label as sen,
        eyfsp.is_gld,
        ks4.attainment8,
        ks4.is_em_grade5,
        coalesce(exclusions.suspensions, 0) as suspensions,
        coalesce(exclusions.permanent_exclusions, 0) as permanent_exclusions
    from pupils
    left join eyfsp
        on
            pupils.upn_key = eyfsp.upn_key
            and pupils.authority_code = eyfsp.authority_code
            and pupils.academic_year = eyfsp.academic_year
    left join ks4
        on
            pupils.upn_key = ks4.upn_key
            and pupils.authority_code = ks4.authority_code
            and pupils.academic_year = ks4.academic_year
    left join exclusions
        on
            pupils.upn_key = exclusions.upn_key
            and pupils.authority_code = exclusions.authority_code
            and pupils.academic_year = exclusions.academic_year
-- A census row without its DfE code conformed (ethnicity_status unmapped) still counts overall.
),

cells as (
    {{ outcome_cells(
        'pupil_outcomes',
        ethnicity_levels=['extended', 'dfe_main', 'major'],
        dimensions=['sex', 'fsm', 'sen'],
        custom_code_systems=['census', 'dfe'],
        measures={
            'pupils': 'count(*)',
            'suspensions': 'sum(suspensions)',
            'pupils_suspended': 'count(*) filter (where suspensions > 0)',
            'permanent_exclusions': 'sum(permanent_exclusions)',
            'sen_support': "count(*) filter (where sen = 'SEN support')",
            'ehc_plan': "count(*) filter (where sen = 'EHC plan')",
            'gld_assessed': 'count(is_gld)',
            'gld': 'count(*) filter (where is_gld)',
            'ks4_pupils': 'count(attainment8)',
            'attainment8_sum': exact_sum('attainment8'),
            'attainment8_sum_squares': exact_sum('attainment8 * attainment8'),
            'em_grade5_assessed': 'count(is_em_grade5)',
            'em_grade5': 'count(*) filter (where is_em_grade5)',
            'pupils_unknown': 'count(*) filter (where eth_census2021 is null)',
            'gld_assessed_unknown': 'count(is_gld) filter (where eth_census2021 is null)',
            'ks4_pupils_unknown': 'count(attainment8) filter (where eth_census2021 is null)',
            'em_grade5_assessed_unknown': 'count(is_em_grade5) filter (where eth_census2021 is null)',
        },
    ) }}
),

final as (
    {{ outcome_indicator_rows('cells', indicators) }}
)

select * from final

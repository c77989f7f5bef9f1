-- Education outcome cells: pupils on the spring census with their EYFSP, KS4 and exclusions outcomes
-- joined by pseudonymised UPN and academic year, aggregated by outcome_cells (ethnicity at the DfE
-- extended, main and major levels and custom groups, by sex, FSM and SEN), then one row per indicator.
-- Denominators are pupils on the census (rates, SEN), Reception pupils assessed (GLD) and Year 11
-- pupils with results (KS4). Outcome rows whose pupil is not on that year's census drop out here:
-- the ingest contracts already quarantine them, so none are expected.
{%- set indicators = {
    'edu_gld_pct': ['gld', 'gld_assessed', 'null'],
    'edu_attainment8_avg': ['attainment8_sum', 'ks4_pupils', 'attainment8_sum_squares'],
    'edu_em_grade5_pct': ['em_grade5', 'em_grade5_assessed', 'null'],
    'edu_suspension_rate': ['suspensions', 'pupils', 'null'],
    'edu_one_plus_suspension_pct': ['pupils_suspended', 'pupils', 'null'],
    'edu_permanent_exclusion_rate': ['permanent_exclusions', 'pupils', 'null'],
    'edu_sen_support_pct': ['sen_support', 'pupils', 'null'],
    'edu_ehc_plan_pct': ['ehc_plan', 'pupils', 'null'],
} %}
{%- set denominator_unknown = {
    'pupils': 'count(*) filter (where eth_census2021 is null)',
    'gld_assessed': 'count(is_gld) filter (where eth_census2021 is null)',
    'ks4_pupils': 'count(attainment8) filter (where eth_census2021 is null)',
    'em_grade5_assessed': 'count(is_em_grade5) filter (where eth_census2021 is null)',
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
            'attainment8_sum': 'sum(attainment8)',
            'attainment8_sum_squares': 'sum(attainment8 * attainment8)',
            'em_grade5_assessed': 'count(is_em_grade5)',
            'em_grade5': 'count(*) filter (where is_em_grade5)',
            'pupils_unknown': denominator_unknown['pupils'],
            'gld_assessed_unknown': denominator_unknown['gld_assessed'],
            'ks4_pupils_unknown': denominator_unknown['ks4_pupils'],
            'em_grade5_assessed_unknown': denominator_unknown['em_grade5_assessed'],
        },
    ) }}
),

final as (
    {%- for indicator_id, columns in indicators.items() %}
        select
            authority_code,
            period,
            period_end_year,
            '{{ indicator_id }}' as indicator_id,
            breakdown,
            ethnicity_level,
            ethnicity_code,
            sex,
            fsm,
            sen,
            cast({{ columns[0] }} as double) as numerator,
            cast({{ columns[1] }} as double) as denominator,
            cast({{ columns[2] }} as double) as sum_squares,
            cast(null as double) as sum_weight_squares,
            cast({{ columns[1] }} as double) as records,
            cast({{ columns[1] }}_unknown as double) as records_unknown_ethnicity
        from cells
        where {{ columns[1] }} > 0
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final

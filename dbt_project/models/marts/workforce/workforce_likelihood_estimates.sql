-- WRES-pattern relative likelihoods (methods reference §3, §6) before disclosure control (private
-- mart): per authority, financial year and measure, White British against every other Census 2021
-- group, every major group but White (which holds White British) and ethnic minorities combined, and
-- White (major level) against the other major groups. Katz interval through obs_ratio_lower/upper
-- (persons or applications counted once per measure).
-- Orientation follows the WRES indicators the catalogue rows wf_*_rl describe: favourable outcomes
-- (shortlisting, appointment, training, progression; WRES 2 and 4) are the reference's likelihood over
-- the group's; formal processes and leaving (WRES 3) the group's over the reference's.
{% set confidence = var('outcome_confidence') %}
{% set white_british = var('pay_gap_comparator_code') %}
{% set white = var('outcome_reference_major_group') %}
with

cells as (
    select * from {{ ref('int_hr__likelihood_cells') }}
),

white_british as (
    select * from cells
    where ethnicity_level = 'census2021' and ethnicity_code = '{{ white_british }}'
),

white as (
    select * from cells
    where ethnicity_level = 'major' and ethnicity_code = '{{ white }}'
),

pairs as (
    select
        cells.*,
        white_british.ethnicity_level as reference_level,
        white_british.ethnicity_group as reference_group,
        white_british.parent_group as reference_parent_group,
        white_british.events as reference_events,
        white_british.base as reference_base
    from cells
    inner join white_british
        on
            cells.authority_code = white_british.authority_code
            and cells.financial_year = white_british.financial_year
            and cells.measure = white_british.measure
    where
        cells.ethnicity_code != '{{ white_british }}'
        and not (cells.ethnicity_level = 'major' and cells.ethnicity_code = '{{ white }}')
    union all
    select
        cells.*,
        white.ethnicity_level as reference_level,
        white.ethnicity_group as reference_group,
        white.parent_group as reference_parent_group,
        white.events as reference_events,
        white.base as reference_base
    from cells
    inner join white
        on
            cells.authority_code = white.authority_code
            and cells.financial_year = white.financial_year
            and cells.measure = white.measure
    where cells.ethnicity_level = 'major' and cells.ethnicity_code != '{{ white }}'
),

oriented as (
    select
        *,
        case
            when measure_family in ('shortlisting', 'appointment', 'training', 'progression')
                then 'reference_over_group'
            else 'group_over_reference'
        end as orientation,
        case measure
            when 'appointed_from_shortlisting' then 'wf_appointed_from_shortlisting_rl'
            when 'entering_disciplinary' then 'wf_disciplinary_rl'
            when 'accessing_non_mandatory_training' then 'wf_non_mandatory_training_rl'
        end as indicator_id,
        case measure_family
            when 'shortlisting' then 'to be shortlisted from application'
            when 'appointment' then 'to be appointed from shortlisting'
            when 'casework' then 'to enter a formal ' || lower(measure_detail) || ' process'
            when 'leaving' then 'to leave'
            when 'leaving_reason' then 'to leave by ' || lower(measure_detail)
            when 'reason_share_of_leavers' then 'to have left by ' || lower(measure_detail) || ', among leavers'
            when 'training' then 'to access non-mandatory training'
            when 'progression' then case measure when 'promotion' then 'to be promoted' else 'to act up' end
        end as event_phrase
    from pairs
),

counted as (
    select
        *,
        case when orientation = 'reference_over_group' then reference_group else ethnicity_group end
            as numerator_group,
        case when orientation = 'reference_over_group' then ethnicity_group else reference_group end
            as denominator_group,
        case when orientation = 'reference_over_group' then reference_events else events end as a,
        case when orientation = 'reference_over_group' then reference_base else base end as n1,
        case when orientation = 'reference_over_group' then events else reference_events end as c,
        case when orientation = 'reference_over_group' then base else reference_base end as n0
    from oriented
),

ratios as (
    select
        *,
        case when a > 0 and c > 0 then (a / n1) / (c / n0) end as ratio,
        obs_ratio_lower(a, n1, c, n0, 'katz', {{ confidence }}) as ratio_lower_ci,
        obs_ratio_upper(a, n1, c, n0, 'katz', {{ confidence }}) as ratio_upper_ci
    from counted
),

final as (
    select
        *,
        ratio_lower_ci > 1 or ratio_upper_ci < 1 as is_significant,
        -- Parity (1) inside the interval is Similar; no good direction is assumed for a ratio.
        obs_compare(ratio, ratio_lower_ci, ratio_upper_ci, 1.0, 'no_judgement') as compared_with_parity
    from ratios
)

select * from final

-- One row per youth justice outcome (caution or court disposal), with its reporting year (ending 31 March,
-- by outcome date) and ethnicity conformed to Census 2021 codes through the reviewed label lookup (systems
-- hold DfE main codes, Census 2021 labels or local labels in the one column). Unmapped values keep
-- census_code null and ethnicity_status = 'unmapped' (a data-quality finding).
with

source as (
    select * from {{ source('justice', 'youth_justice') }}
),

renamed as (
    select
        case_id as case_key,
        person_id as person_key,
        authority_code,
        outcome_date,
        make_date(year(outcome_date) + if(month(outcome_date) >= 4, 1, 0), 3, 31) as year_ending,
        month_of_birth,
        age_at_offence,
        sex,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        offence_type,
        offence_date,
        outcome,
        outcome in (
            'Referral Order', 'Youth Rehabilitation Order', 'Custody', 'Fine', 'Conditional Discharge'
        ) as is_court_outcome,
        first_time_entrant as is_first_time_entrant,
        remand,
        coalesce(custody, outcome = 'Custody') as is_custody,
        reoffended_12m as has_reoffended_12m,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed

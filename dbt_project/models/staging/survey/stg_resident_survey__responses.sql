-- One row per respondent per survey wave. Answers arrive in canonical labels (the contract maps each
-- supplier's spelling); the wave is conformed to 2024/25 whichever way the supplier wrote it; ethnicity
-- is conformed to Census 2021 codes. Estimates must use weight: respondents are not a random sample.
with

source as (
    select * from {{ source('survey', 'resident_survey') }}
),

renamed as (
    select
        respondent_id as respondent_key,
        authority_code,
        survey_wave as survey_wave_recorded,
        -- 2024/25, 2024-25 and 2024/2025 name one wave: its first year and its second (two or four digits).
        try_cast(regexp_extract(survey_wave, '^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$', 1) as integer)
            as wave_first_year,
        try_cast(regexp_extract(survey_wave, '^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$', 2) as integer)
            as wave_second_year,
        fieldwork_date,
        age_band,
        sex,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        ward,
        tenure,
        satisfaction_area,
        belonging,
        worry_crime,
        trust_council,
        treated_fairly,
        weight,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
),

waves as (
    select
        *,
        -- The reporting year is the wave's second year; a wave whose years do not follow (2024/27) is null.
        case
            when wave_second_year % 100 = (wave_first_year + 1) % 100 then wave_first_year + 1
        end as survey_year
    from conformed
)

select
    respondent_key,
    authority_code,
    cast(survey_year - 1 as varchar) || '/' || lpad(cast(survey_year % 100 as varchar), 2, '0') as survey_wave,
    survey_year,
    survey_wave_recorded,
    fieldwork_date,
    age_band,
    sex,
    ethnicity_recorded,
    ethnicity_label,
    census_code,
    ethnicity_group,
    ethnicity_major_group,
    ethnicity_display_order,
    ethnicity_status,
    ward,
    tenure,
    satisfaction_area,
    belonging,
    worry_crime,
    trust_council,
    treated_fairly,
    weight,
    source_file,
    source_row
from waves

-- One row per job application per financial year, with the furthest stage reached as an ordered
-- category and one flag per stage (an application that reached a stage passed every earlier one), so
-- WRES relative likelihoods are sums: appointed from shortlisting = sum(was_appointed) / sum(was_shortlisted).
-- Ethnicity is conformed to Census 2021 codes; unmapped labels keep census_code null and
-- ethnicity_status = 'unmapped' (a data-quality finding).
with

source as (
    select * from {{ source('hr', 'hr_recruitment') }}
),

renamed as (
    select
        application_id as application_key,
        authority_code,
        replace(financial_year, '/', '-') as financial_year,
        make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) as year_ending,
        vacancy_id,
        post_title,
        grade,
        directorate,
        advertised_salary,
        application_date,
        applicant_type,
        applicant_type = 'Internal' as is_internal_applicant,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        sex,
        disability,
        age_band,
        stage_reached,
        case stage_reached
            when 'Applied' then 1
            when 'Shortlisted' then 2
            when 'Interviewed' then 3
            when 'Appointed' then 4
        end as stage_order,
        _source_file as source_file,
        _source_row as source_row
    from source
),

staged as (
    select
        *,
        stage_order >= 2 as was_shortlisted,
        stage_order >= 3 as was_interviewed,
        stage_order >= 4 as was_appointed
    from renamed
),

conformed as (
    {{ conform_ethnicity_label('staged', 'ethnicity_recorded') }}
)

select * from conformed

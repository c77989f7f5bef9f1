-- One row per pupil on roll at a spring school census, with the DfE ethnicity code conformed: the
-- most detailed code received (extended such as BSOM or WTUR, else the main code), its DfE main
-- code, Census 2021 code and major group. An unknown code keeps census_code null with
-- ethnicity_status = 'unmapped' (a data-quality finding). The academic year is the one the census
-- falls in (the January 2025 census belongs to 2024/25); outcome extracts join on it and upn_key.
with

source as (
    select * from {{ source('education', 'school_census') }}
),

renamed as (
    select
        upn as upn_key,
        authority_code,
        census_date,
        cast(year(census_date) - if(month(census_date) >= 9, 0, 1) as varchar)
        || '/'
        || right(cast(year(census_date) + if(month(census_date) >= 9, 1, 0) as varchar), 2) as academic_year,
        replace(laestab, '/', '') as laestab,
        left(replace(laestab, '/', ''), 3) as la_number,
        urn,
        school_name,
        nc_year,
        case when nc_year = 'R' then 0 else cast(nc_year as integer) end as nc_year_number,
        age,
        month_of_birth,
        sex,
        ethnicity as ethnicity_recorded,
        fsm_eligible as is_fsm_eligible,
        sen_provision,
        case sen_provision
            when 'N' then 'No SEN'
            when 'K' then 'SEN support'
            when 'E' then 'EHC plan'
        end as sen_provision_label,
        case eal when 'Y' then true when 'N' then false end as is_eal,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_dfe('renamed', 'ethnicity_recorded') }}
)

select * from conformed

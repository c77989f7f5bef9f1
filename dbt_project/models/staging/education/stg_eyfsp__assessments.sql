-- One row per Reception pupil assessed in the early years foundation stage profile. No ethnicity,
-- FSM or SEN: join to stg_school_census__pupils on upn_key, authority_code and academic_year.
-- The academic year is written 2024/25 whatever form the file used (2024-25, 202425).
with

source as (
    select * from {{ source('education', 'eyfsp') }}
),

renamed as (
    select
        upn as upn_key,
        authority_code,
        left(academic_year, 4) || '/' || right(academic_year, 2) as academic_year,
        replace(laestab, '/', '') as laestab,
        school_name,
        month_of_birth,
        sex,
        elgs_expected,
        gld as is_gld,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    select
        *,
        -- Summer-born: born April to August (the youngest in the year group).
        month(month_of_birth) between 4 and 8 as is_summer_born
    from renamed
)

select * from conformed

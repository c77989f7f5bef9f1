-- One row per pupil at the end of key stage 4: Attainment 8 and English and maths grade 5+. No
-- ethnicity, FSM or SEN: join to stg_school_census__pupils on upn_key, authority_code and
-- academic_year. The academic year is written 2024/25 whatever form the file used.
with

source as (
    select * from {{ source('education', 'ks4') }}
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
        attainment8,
        em_grade5 as is_em_grade5,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    select * from renamed
)

select * from conformed

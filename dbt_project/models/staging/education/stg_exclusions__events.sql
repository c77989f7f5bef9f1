-- One row per suspension or permanent exclusion, with the DfE reason code and its wording. No
-- ethnicity, FSM or SEN: join to stg_school_census__pupils on upn_key, authority_code and
-- academic_year. The DfE suspension rate counts these events (not pupils) per pupil on the census.
with

source as (
    select * from {{ source('education', 'exclusions') }}
),

renamed as (
    select
        upn as upn_key,
        authority_code,
        left(academic_year, 4) || '/' || right(academic_year, 2) as academic_year,
        replace(laestab, '/', '') as laestab,
        school_name,
        category,
        category = 'Permanent exclusion' as is_permanent,
        start_date,
        reason as reason_code,
        sessions,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    select
        *,
        case reason_code
            when 'PA' then 'Physical assault against an adult'
            when 'PP' then 'Physical assault against a pupil'
            when 'VA' then 'Verbal abuse or threatening behaviour against an adult'
            when 'VP' then 'Verbal abuse or threatening behaviour against a pupil'
            when 'OW' then 'Use or threat of use of an offensive weapon or prohibited item'
            when 'BU' then 'Bullying'
            when 'RA' then 'Racist abuse'
            when 'LG' then 'Abuse against sexual orientation or gender identity'
            when 'DS' then 'Abuse relating to disability'
            when 'SM' then 'Sexual misconduct'
            when 'DA' then 'Drug and alcohol related'
            when 'DM' then 'Damage'
            when 'TH' then 'Theft'
            when 'MT' then 'Inappropriate use of social media or online technology'
            when 'PH' then 'Wilful and repeated transgression of protective measures to protect public health'
            when 'PD' then 'Persistent disruptive behaviour'
        end as reason_label
    from renamed
)

select * from conformed

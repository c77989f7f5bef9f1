-- One row per police stop and search, with its reporting year (ending 31 March) and the self-defined
-- ethnicity conformed to Census 2021 codes through the reviewed label lookup ("Other ethnic group - Not
-- stated" is not_recorded). The officer-defined ethnicity stays the broad group the officer recorded.
with

source as (
    select * from {{ source('justice', 'stop_search') }}
),

renamed as (
    select
        authority_code,
        searched_at,
        cast(searched_at as date) as search_date,
        make_date(year(searched_at) + if(month(searched_at) >= 4, 1, 0), 3, 31) as year_ending,
        type as search_type,
        type != 'Vehicle search' as is_person_search,
        part_of_operation as is_part_of_operation,
        policing_operation,
        latitude,
        longitude,
        gender,
        age_range,
        self_defined_ethnicity as ethnicity_recorded,
        {{ normalise_label('self_defined_ethnicity') }} as ethnicity_label,
        officer_defined_ethnicity,
        legislation,
        object_of_search,
        outcome,
        coalesce(lower(outcome) like '%arrest%', false) as is_arrest,
        outcome_linked as is_outcome_linked_to_object,
        removal_of_clothing as is_more_than_outer_clothing_removed,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed

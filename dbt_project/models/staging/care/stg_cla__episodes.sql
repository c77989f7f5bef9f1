-- One row per SSDA903 episode open at some time in a return's reporting year, ethnicity conformed from
-- the DfE main code (ETHNIC) to Census 2021 codes. An episode open across 31 March is in two years'
-- returns, so year_ending belongs to the return (source file): the 31 March ending the reporting year
-- of the return's latest episode date. UPN placeholders (UN1-UN5: no UPN) are shared by many children,
-- so a UPN held by more than one child in a return is no link and upn_key is null.
with

source as (
    select * from {{ source('care', 'cla') }}
),

returns as (
    select
        *,
        max(greatest(episode_start, coalesce(episode_end, episode_start)))
            over (partition by _source_file) as latest_date,
        min(child_id) over (partition by _source_file, upn)
        = max(child_id) over (partition by _source_file, upn) as is_upn_of_one_child
    from source
),

dated as (
    select
        *,
        make_date(year(latest_date) + if(month(latest_date) >= 4, 1, 0), 3, 31) as year_ending
    from returns
),

renamed as (
    select
        child_id as child_key,
        if(is_upn_of_one_child, upn, null) as upn_key,
        authority_code,
        year_ending,
        case sex when 1 then 'Male' when 2 then 'Female' end as sex,
        month_of_birth,
        ethnicity as ethnicity_recorded,
        episode_start,
        episode_end,
        reason_new_episode,
        legal_status,
        category_of_need,
        placement_type,
        placement_provider,
        reason_episode_ceased,
        reason_place_change,
        episode_start <= year_ending
        and coalesce(episode_end > year_ending, true) as is_open_at_year_end,
        reason_new_episode = 'S'
        and episode_start > year_ending - interval 1 year as is_care_start_in_year,
        coalesce(reason_episode_ceased != 'X1', false) as is_care_end,
        _source_file as source_file,
        _source_row as source_row
    from dated
),

conformed as (
    {{ conform_ethnicity_dfe('renamed', 'ethnicity_recorded') }}
)

select * from conformed

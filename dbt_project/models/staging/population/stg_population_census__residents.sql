-- Census 2021 usual residents by ethnic group (TS021), read long: one row per geography and
-- category, at three levels kept apart by category_level: the total of all usual residents
-- ('total'), the 5 high-level groups ('major_group') and the 19 categories ('category', with their
-- Census 2021 code), mapped from the TS021 wording through ethnicity_ts021_categories. Sum only
-- within one level. A heading the seed does not hold is 'unmapped' (a data-quality finding).
-- is_known_area is false for a local authority code the authorities seed does not hold.
with

source as (
    select * from {{ source('population', 'population_census') }}
),

renamed as (
    select
        geography_code,
        geography as geography_name,
        case
            when geography_code like 'E92%' then 'country'
            when geography_code like 'E12%' then 'region'
            else 'local_authority'
        end as geography_level,
        census_year,
        ethnic_group as ethnicity_recorded,
        residents,
        total_residents,
        _source_file as source_file,
        _source_row as source_row
    from source
),

records as (
    select * from renamed
    union all
    -- Every category record of a line carries the line's total: one total row per line.
    select distinct
        geography_code,
        geography_name,
        geography_level,
        census_year,
        'Total: All usual residents' as ethnicity_recorded,
        total_residents as residents,
        total_residents,
        source_file,
        source_row
    from renamed
),

conformed as (
    select
        records.geography_code,
        records.geography_name,
        records.geography_level,
        records.geography_level != 'local_authority'
        or authorities.authority_code is not null as is_known_area,
        records.census_year,
        records.ethnicity_recorded,
        {{ normalise_label('records.ethnicity_recorded') }} as ethnicity_label,
        categories.category_level,
        categories.census_code,
        case categories.category_level
            when 'category' then census.display_label
            when 'major_group' then categories.major_group
            when 'total' then 'All usual residents'
        end as ethnicity_group,
        categories.major_group as ethnicity_major_group,
        coalesce(census.display_order, categories.display_order) as ethnicity_display_order,
        case when categories.label_normalised is null then 'unmapped' else 'known' end as ethnicity_status,
        records.residents,
        records.total_residents,
        records.source_file,
        records.source_row
    from records
    left join {{ ref('ethnicity_ts021_categories') }} as categories
        on {{ normalise_label('records.ethnicity_recorded') }} = categories.label_normalised
    left join {{ ref('ethnicity_census2021') }} as census
        on categories.census_code = census.census_code
    left join {{ ref('authorities') }} as authorities
        on records.geography_code = authorities.authority_code
)

select * from conformed

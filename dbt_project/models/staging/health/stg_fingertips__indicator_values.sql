-- Fingertips indicator values: one row per indicator, area, sex, age, category and time period.
-- Rows of the "Ethnic groups" breakdown have their Category conformed to Census 2021 codes through
-- the reviewed lookup (an unmapped label is a data-quality finding); other rows carry null
-- ethnicity columns. The period is kept as written ("2022/23", "2021 - 23") with its first and last
-- year for sorting. is_known_area is false for a local area code the authorities seed does not hold.
with

source as (
    select * from {{ source('health', 'fingertips') }}
),

renamed as (
    select
        indicator_id,
        indicator_name,
        area_code,
        area_name,
        area_type,
        case
            when area_code like 'E92%' then 'country'
            when area_code like 'E12%' then 'region'
            else 'local'
        end as area_level,
        parent_code,
        parent_name,
        sex,
        age,
        category_type,
        category,
        coalesce(category_type = 'Ethnic groups', false) as is_ethnic_group_breakdown,
        case when category_type = 'Ethnic groups' then category end as ethnicity_recorded,
        {{ normalise_label("case when category_type = 'Ethnic groups' then category end") }} as ethnicity_label,
        time_period,
        time_period_sortable,
        coalesce(time_period_sortable // 10000, try_cast(left(time_period, 4) as integer)) as period_start_year,
        time_period_range,
        value,
        lower_ci_95,
        upper_ci_95,
        lower_ci_99_8,
        upper_ci_99_8,
        count,
        denominator,
        value_note,
        value is null and coalesce(value_note ilike '%suppress%', false) as is_suppressed,
        recent_trend,
        compared_to_england,
        compared_to_percentiles,
        compared_to_goal,
        coalesce(new_data = 'New data', false) as is_new_data,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
),

final as (
    select
        conformed.* exclude (ethnicity_status),
        case when conformed.is_ethnic_group_breakdown then conformed.ethnicity_status end as ethnicity_status,
        -- '2022/23' and '2021 - 23' end in the year their last two digits give; '2023' is one year.
        case
            when regexp_matches(conformed.time_period, '^\s*\d{4}\s*[-/]\s*\d{2}\s*$')
                then conformed.period_start_year + (
                    cast(right(trim(conformed.time_period), 2) as integer) - conformed.period_start_year % 100 + 100
                ) % 100
            else conformed.period_start_year
        end as period_end_year,
        conformed.area_level != 'local' or authorities.authority_code is not null as is_known_area
    from conformed
    left join {{ ref('authorities') }} as authorities
        on conformed.area_code = authorities.authority_code
)

select * from final

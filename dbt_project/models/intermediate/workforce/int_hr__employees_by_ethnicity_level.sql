-- Each relevant employee of known ethnicity once per ethnicity level at which pay gaps are reported:
-- detailed (Census 2021 groups), major (5 broad groups, White British apart as the comparator) and
-- minority_binary (White British vs ethnic minorities), the aggregation ladder of the 2023 guidance.
with

employees as (
    select * from {{ ref('int_hr__hourly_pay') }}
    where ethnicity_status = 'known'
),

comparator as (
    select display_label from {{ ref('ethnicity_census2021') }}
    where census_code = '{{ var("pay_gap_comparator_code") }}'
),

-- Each employee's broad and binary group, decided once and reused by every level below.
classified as (
    select
        *,
        census_code = '{{ var("pay_gap_comparator_code") }}' as is_comparator_code,
        case
            when census_code = '{{ var("pay_gap_comparator_code") }}' then ethnicity_group
            when ethnicity_major_group = 'White' then 'White other than British'
            else ethnicity_major_group
        end as broad_group,
        case
            when census_code = '{{ var("pay_gap_comparator_code") }}' then 400
            when ethnicity_major_group = 'White' then 450
            else floor(ethnicity_display_order / 100) * 100
        end as broad_order,
        case
            when census_code = '{{ var("pay_gap_comparator_code") }}' then ethnicity_group
            else 'Ethnic minorities'
        end as binary_group
    from employees
),

levels as (
    select
        *,
        'detailed' as ethnicity_level,
        ethnicity_group as reported_group,
        ethnicity_display_order as reported_order,
        -- Parent used by secondary suppression: a detailed group sits inside its broad group.
        broad_group as parent_group
    from classified

    union all

    select
        *,
        'major' as ethnicity_level,
        broad_group as reported_group,
        broad_order as reported_order,
        binary_group as parent_group
    from classified

    union all

    select
        *,
        'minority_binary' as ethnicity_level,
        binary_group as reported_group,
        case when is_comparator_code then 400 else 100 end as reported_order,
        null as parent_group
    from classified
)

select
    levels.*,
    levels.reported_group = comparator.display_label as is_comparator
from levels
cross join comparator

-- Published benchmark values, one row per geography x period x indicator x cell, in the Observatory's
-- own cell vocabulary (breakdown, ethnicity level and code, sex, FSM, SEN) so they join to its outcome
-- cells. Values stay on the scale the publisher used (rates per 100 pupils, per 10,000 children,
-- percentages 0-100, Attainment 8 scores): the indicator catalogue's multiplier says which.
-- Which published columns are benchmarks, and of which catalogue indicator, is data (seed
-- benchmark_indicators for EES; the catalogue's fingertips_indicator_id for Fingertips); so are the
-- ethnicity labels (seed benchmark_ethnicity_labels).
-- Dropped on purpose: rows of unknown ethnicity (Unclassified, Refused, ...: no cell holds them),
-- EES rows for a single school type (the Observatory's outcomes cover all pupils), Fingertips
-- breakdowns other than ethnic groups (deprivation deciles are not cells here), and indicators that
-- are not benchmarks. Any other row that maps to no cell is listed by the warning test
-- assert_benchmark_rows_map_to_cells, never dropped silently.
{%- set breakdowns = ['total', 'ethnicity', 'sex', 'fsm', 'sen', 'ethnicity_sex', 'ethnicity_fsm', 'sex_fsm',
    'ethnicity_sex_fsm'] %}
with

ees as (
    select * from {{ ref('stg_benchmarks_ees__statistics') }}
),

fingertips as (
    select * from {{ ref('stg_fingertips__indicator_values') }}
),

benchmark_indicators as (
    select * from {{ ref('benchmark_indicators') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

ethnicity_labels as (
    select * from {{ ref('benchmark_ethnicity_labels') }}
),

-- Fingertips categories name no level: an unknown label is unknown whichever level lists it.
unknown_labels as (
    select
        label_normalised,
        min(unknown_reason) as unknown_reason
    from ethnicity_labels
    where unknown_reason is not null
    group by label_normalised
),

-- Staging reads each EES file row long; the indicator's numerator and denominator are other
-- indicators of the same file row.
ees_values as (
    select
        ees.*,
        benchmark_indicators.indicator_id,
        numerators.value as numerator,
        denominators.value as denominator
    from ees
    inner join benchmark_indicators
        on
            ees.publication = benchmark_indicators.publication
            and ees.indicator = benchmark_indicators.indicator_column
    left join ees as numerators
        on
            ees.source_file = numerators.source_file
            and ees.source_row = numerators.source_row
            and benchmark_indicators.numerator_column = numerators.indicator
    left join ees as denominators
        on
            ees.source_file = denominators.source_file
            and ees.source_row = denominators.source_row
            and benchmark_indicators.denominator_column = denominators.indicator
    where coalesce(ees.school_type, 'Total') = 'Total'
),

-- Exclusions and care files name one filter per row (characteristic_group / characteristic); KS4
-- files cross four filter columns, 'Total' where a row is not broken down by one. A KS4 minor group
-- row also names its major group, so the minor label decides.
ees_filters as (
    select
        *,
        case
            when characteristic_group in ('Ethnicity major', 'Ethnic group major') then 'major'
            when characteristic_group in ('Ethnicity minor', 'Ethnic group minor') then 'minor'
            when coalesce(ethnicity_minor, 'Total') != 'Total' then 'minor'
            when coalesce(ethnicity_major, 'Total') != 'Total' then 'major'
        end as label_level,
        case
            when characteristic_group like 'Ethnic%' then characteristic
            when coalesce(ethnicity_minor, 'Total') != 'Total' then ethnicity_minor
            when coalesce(ethnicity_major, 'Total') != 'Total' then ethnicity_major
        end as ethnicity_label,
        case when characteristic_group = 'Sex' then characteristic else sex end as sex_label,
        case when characteristic_group = 'FSM' then characteristic else free_school_meals end as fsm_label,
        case when characteristic_group = 'SEN provision' then characteristic end as sen_label,
        -- Academic and financial years are six digits (202425); a reporting year is the year ending
        -- 31 March (2025 = 2024/25), the same period as the Observatory's 31 March snapshots.
        case
            when time_identifier in ('Academic year', 'Financial year') and length(time_period) = 6
                then left(time_period, 4) || '/' || right(time_period, 2)
            when time_identifier = 'Reporting year' and length(time_period) = 4
                then cast(try_cast(time_period as integer) - 1 as varchar) || '/' || right(time_period, 2)
            when time_identifier = 'Calendar year' and length(time_period) = 4
                then time_period
        end as period,
        case
            when length(time_period) = 6 then try_cast(left(time_period, 4) as integer) + 1
            else try_cast(time_period as integer)
        end as period_end_year
    from ees_values
),

ees_cells as (
    select
        'ees' as source,
        case ees_filters.geographic_level
            when 'National' then 'england'
            when 'Regional' then 'region'
            when 'Local authority' then 'local_authority'
        end as geography_level,
        ees_filters.geography_code,
        ees_filters.geography_name,
        ees_filters.period,
        ees_filters.period_end_year,
        ees_filters.indicator_id,
        case
            when ees_filters.ethnicity_label is null then 'all'
            else ethnicity_labels.ethnicity_level
        end as ethnicity_level,
        case
            when ees_filters.ethnicity_label is null then 'All'
            else ethnicity_labels.ethnicity_code
        end as ethnicity_code,
        ethnicity_labels.unknown_reason as ethnicity_unknown_reason,
        -- The contract accepts only these spellings (anything else is quarantined at ingest), so they
        -- map straight onto the cell vocabulary; 'Total' or no such filter means not broken down.
        case
            when coalesce(ees_filters.sex_label, 'Total') = 'Total' then 'All'
            when ees_filters.sex_label in ('Female', 'Girls') then 'Female'
            when ees_filters.sex_label in ('Male', 'Boys') then 'Male'
        end as sex,
        case
            when coalesce(ees_filters.fsm_label, 'Total') = 'Total' then 'All'
            when ees_filters.fsm_label = 'FSM eligible' then 'FSM'
            when ees_filters.fsm_label = 'FSM not eligible' then 'Not FSM'
        end as fsm,
        case
            when coalesce(ees_filters.sen_label, 'Total') = 'Total' then 'All'
            when ees_filters.sen_label in ('No SEN', 'SEN support', 'EHC plan') then ees_filters.sen_label
        end as sen,
        ees_filters.value,
        ees_filters.symbol as value_symbol,
        ees_filters.numerator,
        ees_filters.denominator,
        cast(null as double) as lower_ci,
        cast(null as double) as upper_ci,
        ees_filters.source_file,
        ees_filters.source_row
    from ees_filters
    left join ethnicity_labels
        on
            ees_filters.label_level = ethnicity_labels.label_level
            and {{ normalise_label('ees_filters.ethnicity_label') }} = ethnicity_labels.label_normalised
),

fingertips_cells as (
    select
        'fingertips' as source,
        case fingertips.area_level
            when 'country' then 'england'
            when 'region' then 'region'
            when 'local' then 'local_authority'
        end as geography_level,
        fingertips.area_code as geography_code,
        fingertips.area_name as geography_name,
        fingertips.time_period as period,
        fingertips.period_end_year,
        indicators.indicator_id,
        -- Staging conforms a category to a Census 2021 group where the reviewed lookup knows it; a
        -- category that is a whole major group ("Asian") has no Census code and is matched here.
        case
            when not fingertips.is_ethnic_group_breakdown then 'all'
            when fingertips.census_code is not null then 'census2021'
            else major_labels.ethnicity_level
        end as ethnicity_level,
        case
            when not fingertips.is_ethnic_group_breakdown then 'All'
            when fingertips.census_code is not null then fingertips.census_code
            else major_labels.ethnicity_code
        end as ethnicity_code,
        case
            when fingertips.census_code is not null then null
            when fingertips.ethnicity_status in ('prefer_not_to_say', 'not_recorded') then fingertips.ethnicity_status
            else unknown_labels.unknown_reason
        end as ethnicity_unknown_reason,
        case fingertips.sex when 'Persons' then 'All' else fingertips.sex end as sex,
        'All' as fsm,
        'All' as sen,
        fingertips.value,
        -- Fingertips prints no GSS symbols: a value withheld for disclosure control is 'c', any
        -- other missing value 'x' (not available).
        case
            when fingertips.value is not null then null
            when fingertips.is_suppressed then 'c'
            else 'x'
        end as value_symbol,
        fingertips.count as numerator,
        fingertips.denominator,
        fingertips.lower_ci_95 as lower_ci,
        fingertips.upper_ci_95 as upper_ci,
        fingertips.source_file,
        fingertips.source_row
    from fingertips
    inner join indicators
        on fingertips.indicator_id = indicators.fingertips_indicator_id
    left join ethnicity_labels as major_labels
        on
            major_labels.label_level = 'major'
            and major_labels.ethnicity_level is not null
            and fingertips.ethnicity_label = major_labels.label_normalised
    left join unknown_labels
        on fingertips.ethnicity_label = unknown_labels.label_normalised
    where coalesce(fingertips.category_type, '') = '' or fingertips.is_ethnic_group_breakdown
),

unioned as (
    select * from ees_cells
    union all
    select * from fingertips_cells
),

with_breakdown as (
    select
        *,
        coalesce(nullif(concat_ws(
            '_',
            if(ethnicity_level != 'all', 'ethnicity', null),
            if(sex != 'All', 'sex', null),
            if(fsm != 'All', 'fsm', null),
            if(sen != 'All', 'sen', null)
        ), ''), 'total') as breakdown
    from unioned
),

final as (
    select
        source,
        geography_level,
        geography_code,
        geography_name,
        period,
        period_end_year,
        indicator_id,
        breakdown,
        ethnicity_level,
        ethnicity_code,
        sex,
        fsm,
        sen,
        value,
        value_symbol,
        numerator,
        denominator,
        lower_ci,
        upper_ci,
        source_file,
        source_row
    from with_breakdown
    -- Rows of unknown ethnicity have no cell; a row missing any other key is left for the warning
    -- test to list (a period, label or combination of filters this model does not know).
    where
        ethnicity_unknown_reason is null
        and geography_level is not null
        and period is not null
        and ethnicity_level is not null
        and ethnicity_code is not null
        and sex is not null
        and fsm is not null
        and sen is not null
        and breakdown in ({{ "'" ~ breakdowns | join("', '") ~ "'" }})
)

select * from final

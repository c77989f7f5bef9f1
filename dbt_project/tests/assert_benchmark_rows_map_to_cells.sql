-- Benchmark rows that int_benchmarks__indicator_values could not place in a cell: an ethnicity label
-- no seed lists (add it to benchmark_ethnicity_labels), a period it cannot read, or a combination of
-- filters outside the cell vocabulary. A warning, not an error: every other row still benchmarks, but
-- these must not vanish silently. Not listed, because dropped on purpose: rows of unknown ethnicity,
-- single school types, Fingertips breakdowns other than ethnic groups, and indicators that are not
-- benchmarks. Shown in Dagster as a check on the values model.
{{ config(
    severity='warn',
    meta={'dagster': {'ref': {'name': 'int_benchmarks__indicator_values'}}},
) }}
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

benchmark_values as (
    select * from {{ ref('int_benchmarks__indicator_values') }}
),

unknown_labels as (
    select distinct label_normalised from ethnicity_labels
    where unknown_reason is not null
),

ees_unplaced as (
    select
        'ees' as source,
        ees.source_file,
        ees.source_row,
        ees.indicator,
        ees.geography_code,
        ees.time_identifier || ' ' || ees.time_period as period,
        concat_ws(
            '; ',
            ees.characteristic_group || ': ' || ees.characteristic,
            'ethnicity_major: ' || ees.ethnicity_major,
            'ethnicity_minor: ' || ees.ethnicity_minor,
            'sex: ' || ees.sex,
            'free_school_meals: ' || ees.free_school_meals
        ) as filters
    from ees
    inner join benchmark_indicators
        on
            ees.publication = benchmark_indicators.publication
            and ees.indicator = benchmark_indicators.indicator_column
    left join benchmark_values
        on
            benchmark_values.source = 'ees'
            and ees.source_file = benchmark_values.source_file
            and ees.source_row = benchmark_values.source_row
            and benchmark_indicators.indicator_id = benchmark_values.indicator_id
    where
        benchmark_values.source_row is null
        and coalesce(ees.school_type, 'Total') = 'Total'
        and not (
            coalesce(ees.characteristic_group, '') like 'Ethnic%'
            and {{ normalise_label('ees.characteristic') }} in (
                select unknown_labels.label_normalised from unknown_labels
            )
        )
        and {{ normalise_label('ees.ethnicity_major') }} not in (
            select unknown_labels.label_normalised from unknown_labels
        )
        and {{ normalise_label('ees.ethnicity_minor') }} not in (
            select unknown_labels.label_normalised from unknown_labels
        )
),

fingertips_unplaced as (
    select
        'fingertips' as source,
        fingertips.source_file,
        fingertips.source_row,
        cast(fingertips.indicator_id as varchar) as indicator,
        fingertips.area_code as geography_code,
        fingertips.time_period as period,
        concat_ws(
            '; ',
            'sex: ' || fingertips.sex,
            fingertips.category_type || ': ' || fingertips.category
        ) as filters
    from fingertips
    inner join indicators
        on fingertips.indicator_id = indicators.fingertips_indicator_id
    left join benchmark_values
        on
            benchmark_values.source = 'fingertips'
            and fingertips.source_file = benchmark_values.source_file
            and fingertips.source_row = benchmark_values.source_row
    where
        benchmark_values.source_row is null
        and (coalesce(fingertips.category_type, '') = '' or fingertips.is_ethnic_group_breakdown)
        and coalesce(fingertips.ethnicity_status, '') not in ('prefer_not_to_say', 'not_recorded')
        and fingertips.ethnicity_label not in (select unknown_labels.label_normalised from unknown_labels)
),

final as (
    select * from ees_unplaced
    union all
    select * from fingertips_unplaced
)

select * from final

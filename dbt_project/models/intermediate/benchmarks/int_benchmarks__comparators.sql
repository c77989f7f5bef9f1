-- The benchmarks each authority's outcomes are compared with, per source, period, indicator and cell:
-- England, London, the authority's own region, and the simple mean of its statistical neighbours'
-- local authority values (LAIT style: the neighbours with a published number count, each equally).
-- Every value comes from the same source's file at the level it publishes, never re-derived.
-- Only cells where at least one comparator has a number are kept.
{%- set cell_columns = ['source', 'period', 'indicator_id', 'breakdown', 'ethnicity_level', 'ethnicity_code', 'sex',
    'fsm', 'sen'] %}
with

benchmark_values as (
    select * from {{ ref('int_benchmarks__indicator_values') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

regions as (
    select * from {{ ref('regions') }}
),

statistical_neighbours as (
    select * from {{ ref('statistical_neighbours') }}
),

-- One text key per cell, so each comparator joins on one column.
keyed_values as (
    select
        *,
        concat_ws('|', {{ cell_columns | join(', ') }}) as cell_key
    from benchmark_values
),

-- The period and cell grid every authority is given: whatever any geography published.
cells as (
    select distinct
        cell_key,
        {{ cell_columns | join(',\n        ') }},
        period_end_year
    from keyed_values
),

england_values as (
    select * from keyed_values
    where geography_level = 'england'
),

-- Region rows carry ONS codes (E12...); the authorities seed names its region.
region_values as (
    select
        keyed_values.*,
        regions.region_name
    from keyed_values
    inner join regions
        on keyed_values.geography_code = regions.region_code
    where keyed_values.geography_level = 'region'
),

neighbour_counts as (
    select
        authority_code,
        count(*) as neighbours_expected
    from statistical_neighbours
    group by authority_code
),

neighbour_means as (
    select
        statistical_neighbours.authority_code,
        keyed_values.cell_key,
        {{ exact_mean('keyed_values.value') }} as neighbours_value,
        count(keyed_values.value) as neighbours_count
    from statistical_neighbours
    inner join keyed_values
        on statistical_neighbours.neighbour_code = keyed_values.geography_code
    where keyed_values.geography_level = 'local_authority'
    group by statistical_neighbours.authority_code, keyed_values.cell_key
),

comparators as (
    select
        authorities.authority_code,
        {%- for column in cell_columns %}
            cells.{{ column }},
        {%- endfor %}
        cells.period_end_year,
        england_values.value as england_value,
        london_values.value as london_value,
        authorities.region_name,
        own_region_values.value as region_value,
        neighbour_means.neighbours_value,
        coalesce(neighbour_means.neighbours_count, 0) as neighbours_count,
        coalesce(neighbour_counts.neighbours_expected, 0) as neighbours_expected
    from authorities
    cross join cells
    left join england_values
        on cells.cell_key = england_values.cell_key
    left join region_values as london_values
        on
            cells.cell_key = london_values.cell_key
            and london_values.region_name = 'London'
    left join region_values as own_region_values
        on
            cells.cell_key = own_region_values.cell_key
            and authorities.region_name = own_region_values.region_name
    left join neighbour_means
        on
            authorities.authority_code = neighbour_means.authority_code
            and cells.cell_key = neighbour_means.cell_key
    left join neighbour_counts
        on authorities.authority_code = neighbour_counts.authority_code
),

final as (
    select * from comparators
    where
        england_value is not null
        or london_value is not null
        or region_value is not null
        or neighbours_value is not null
)

select * from final

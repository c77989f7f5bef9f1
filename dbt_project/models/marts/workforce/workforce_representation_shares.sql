-- Representation (methods reference §5, §6) before disclosure control (private mart): each group's
-- share of staff of known ethnicity in each grade band, in senior leadership and in the whole
-- workforce ('All grades'), with its Wilson interval, against the group's share of the whole
-- workforce and of the authority's working-age residents. The community benchmark is the mid-year
-- estimate of 30 June within the financial year the snapshot closes (mid-2024 for 31 March 2025),
-- else the latest earlier one, else Census 2021 (all ages: TS021 has no age).
{% set confidence = var('outcome_confidence') %}
with

cells as (
    select * from {{ ref('int_hr__representation_cells') }}
),

population as (
    select * from {{ ref('int_hr__working_age_population') }}
),

shares as (
    select
        *,
        100.0 * headcount / band_known as share_pct,
        100.0 * obs_wilson_lower(headcount, band_known, {{ confidence }}) as share_lower_ci,
        100.0 * obs_wilson_upper(headcount, band_known, {{ confidence }}) as share_upper_ci
    from cells
),

workforce as (
    select
        authority_code,
        snapshot_date,
        ethnicity_level,
        ethnicity_code,
        share_pct as workforce_share_pct
    from shares
    where grade_band = 'All grades'
),

-- The population each snapshot is compared with: mid-year estimates first, nearest earlier year.
population_years as (
    select distinct
        authority_code,
        mid_year,
        population_source
    from population
),

snapshots as (
    select distinct
        authority_code,
        snapshot_date
    from cells
),

population_totals as (
    select distinct
        authority_code,
        mid_year,
        population_source,
        ethnicity_level,
        residents_known
    from population
),

chosen_population as (
    select
        snapshots.authority_code,
        snapshots.snapshot_date,
        population_years.mid_year,
        population_years.population_source
    from snapshots
    inner join population_years
        on
            snapshots.authority_code = population_years.authority_code
            and (
                population_years.population_source != 'mid_year_18_64'
                or population_years.mid_year <= year(snapshots.snapshot_date) - 1
            )
    qualify row_number() over (
        partition by snapshots.authority_code, snapshots.snapshot_date
        order by population_years.population_source = 'mid_year_18_64' desc, population_years.mid_year desc
    ) = 1
),

final as (
    select
        shares.*,
        workforce.workforce_share_pct,
        shares.share_pct - workforce.workforce_share_pct as difference_from_workforce_pp,
        obs_compare(
            shares.share_pct, shares.share_lower_ci, shares.share_upper_ci, workforce.workforce_share_pct,
            'no_judgement'
        ) as compared_with_workforce,
        chosen_population.population_source,
        chosen_population.mid_year as population_year,
        coalesce(population.residents, 0) as residents,
        chosen_population_totals.residents_known,
        100.0 * coalesce(population.residents, 0) / chosen_population_totals.residents_known
            as population_share_pct,
        shares.share_pct - 100.0 * coalesce(population.residents, 0) / chosen_population_totals.residents_known
            as difference_from_population_pp,
        obs_compare(
            shares.share_pct, shares.share_lower_ci, shares.share_upper_ci,
            100.0 * coalesce(population.residents, 0) / chosen_population_totals.residents_known,
            'no_judgement'
        ) as compared_with_population
    from shares
    left join workforce
        on
            shares.authority_code = workforce.authority_code
            and shares.snapshot_date = workforce.snapshot_date
            and shares.ethnicity_level = workforce.ethnicity_level
            and shares.ethnicity_code = workforce.ethnicity_code
    left join chosen_population
        on
            shares.authority_code = chosen_population.authority_code
            and shares.snapshot_date = chosen_population.snapshot_date
    left join population
        on
            chosen_population.authority_code = population.authority_code
            and chosen_population.mid_year = population.mid_year
            and chosen_population.population_source = population.population_source
            and shares.ethnicity_level = population.ethnicity_level
            and shares.ethnicity_code = population.ethnicity_code
    left join population_totals as chosen_population_totals
        on
            chosen_population.authority_code = chosen_population_totals.authority_code
            and chosen_population.mid_year = chosen_population_totals.mid_year
            and chosen_population.population_source = chosen_population_totals.population_source
            and shares.ethnicity_level = chosen_population_totals.ethnicity_level
)

select * from final

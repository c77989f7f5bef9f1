-- Working-age residents (18-64) per authority x mid-year x ethnicity level x group, the community
-- benchmark of workforce representation (methods reference §5, §6). From the mid-year estimates'
-- non-overlapping bands 18-24 ... 55-64 (persons; female + male where a file has no persons rows).
-- Census 2021 (TS021, usual residents of all ages: TS021 has no age) is kept as the fallback for an
-- authority without mid-year estimates, as mid_year 2021 with population_source 'census2021_all_ages'.
with

residents as (
    select * from {{ ref('stg_population__residents') }}
),

census as (
    select * from {{ ref('stg_population_census__residents') }}
),

working_age as (
    select
        authority_code,
        mid_year,
        sex,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        residents
    from residents
    where
        ethnicity_status = 'known'
        and band_type = 'detailed'
        and age_from >= 18
        and age_to <= 64
),

-- Persons where the file has them, else the sum of the sexes (never both: that would double count).
has_persons as (
    select
        authority_code,
        mid_year,
        bool_or(sex = 'Persons') as has_persons
    from working_age
    group by authority_code, mid_year
),

mid_year_by_code as (
    select
        working_age.authority_code,
        working_age.mid_year,
        'mid_year_18_64' as population_source,
        working_age.census_code,
        working_age.ethnicity_group,
        working_age.ethnicity_major_group,
        working_age.ethnicity_display_order,
        sum(working_age.residents) as residents
    from working_age
    inner join has_persons
        on
            working_age.authority_code = has_persons.authority_code
            and working_age.mid_year = has_persons.mid_year
    where (working_age.sex = 'Persons') = has_persons.has_persons
    group by all
),

census_by_code as (
    select
        geography_code as authority_code,
        census_year as mid_year,
        'census2021_all_ages' as population_source,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        sum(residents) as residents
    from census
    where
        geography_level = 'local_authority'
        and category_level = 'category'
        and ethnicity_status = 'known'
        and census_code is not null
    group by all
),

by_code as (
    select * from mid_year_by_code
    union all
    select * from census_by_code
),

levels as (
    {{ workforce_ethnicity_levels('by_code') }}
),

cells as (
    select
        authority_code,
        mid_year,
        population_source,
        ethnicity_level,
        ethnicity_code,
        reported_group as ethnicity_group,
        sum(residents) as residents
    from levels
    group by all
),

final as (
    select
        *,
        sum(residents) over (
            partition by authority_code, mid_year, population_source, ethnicity_level
        ) as residents_known
    from cells
)

select * from final

-- Mid-year population estimates read long: one row per authority, mid-year date, sex, ethnic group
-- and age band, with the ethnic group conformed to Census 2021 codes through the reviewed lookup
-- (TS021 wording, short labels and codes all map; an unmapped label is a data-quality finding).
-- band_type keeps all ages ('total'), the non-overlapping bands ('detailed') and the overlapping
-- bands rates use ('aggregate': 0-17, 10-17, 18+) apart: sum only within one band type.
-- A band a file does not hold has no row.
with

source as (
    select * from {{ source('population', 'population') }}
),

renamed as (
    select
        authority_code,
        area_name,
        estimate_date,
        year(estimate_date) as mid_year,
        sex,
        ethnic_group as ethnicity_recorded,
        {{ normalise_label('ethnic_group') }} as ethnicity_label,
        all_ages,
        age_0_4,
        age_5_9,
        age_10_14,
        age_15_17,
        age_18_24,
        age_25_34,
        age_35_44,
        age_45_54,
        age_55_64,
        age_65_74,
        age_75_84,
        age_85_plus,
        age_0_17,
        age_10_17,
        age_18_plus,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
),

unpivoted as (
    select *
    from conformed
    unpivot (
        residents for age_band in (
            all_ages, age_0_4, age_5_9, age_10_14, age_15_17, age_18_24, age_25_34, age_35_44,
            age_45_54, age_55_64, age_65_74, age_75_84, age_85_plus, age_0_17, age_10_17, age_18_plus
        )
    )
),

bands as (
    select
        band.age_band,
        band.band_type,
        cast(band.age_from as integer) as age_from,
        cast(band.age_to as integer) as age_to
    from (
        values
        ('all_ages', 'total', 0, null),
        ('age_0_4', 'detailed', 0, 4),
        ('age_5_9', 'detailed', 5, 9),
        ('age_10_14', 'detailed', 10, 14),
        ('age_15_17', 'detailed', 15, 17),
        ('age_18_24', 'detailed', 18, 24),
        ('age_25_34', 'detailed', 25, 34),
        ('age_35_44', 'detailed', 35, 44),
        ('age_45_54', 'detailed', 45, 54),
        ('age_55_64', 'detailed', 55, 64),
        ('age_65_74', 'detailed', 65, 74),
        ('age_75_84', 'detailed', 75, 84),
        ('age_85_plus', 'detailed', 85, null),
        ('age_0_17', 'aggregate', 0, 17),
        ('age_10_17', 'aggregate', 10, 17),
        ('age_18_plus', 'aggregate', 18, null)
    ) as band (age_band, band_type, age_from, age_to)
),

final as (
    select
        unpivoted.authority_code,
        unpivoted.area_name,
        unpivoted.estimate_date,
        unpivoted.mid_year,
        unpivoted.sex,
        unpivoted.ethnicity_recorded,
        unpivoted.ethnicity_label,
        unpivoted.census_code,
        unpivoted.ethnicity_group,
        unpivoted.ethnicity_major_group,
        unpivoted.ethnicity_display_order,
        unpivoted.ethnicity_status,
        unpivoted.age_band,
        bands.band_type,
        bands.age_from,
        bands.age_to,
        unpivoted.residents,
        unpivoted.source_file,
        unpivoted.source_row
    from unpivoted
    inner join bands
        on unpivoted.age_band = bands.age_band
)

select * from final

-- Staff of known ethnicity per authority x payroll snapshot x grade band x ethnicity level x group,
-- with the band's headcount and declaration counts (all staff, unknown ethnicity included) on every row.
-- Grade bands and the senior leadership band are data (seed workforce_grade_bands); a grade the seed
-- does not hold is banded 'Grade not banded' (a data-quality finding, never silently dropped). Every
-- snapshot also has the band 'All grades' (the whole workforce).
with

payroll as (
    select * from {{ ref('stg_hr__payroll') }}
),

grade_bands as (
    select * from {{ ref('workforce_grade_bands') }}
),

banded as (
    select
        payroll.authority_code,
        payroll.snapshot_date,
        payroll.census_code,
        payroll.ethnicity_group,
        payroll.ethnicity_major_group,
        payroll.ethnicity_display_order,
        payroll.ethnicity_status,
        coalesce(grade_bands.grade_band, 'Grade not banded') as grade_band,
        coalesce(grade_bands.band_order, 90) as band_order,
        coalesce(grade_bands.is_senior, false) as is_senior
    from payroll
    left join grade_bands
        on payroll.grade = grade_bands.grade
),

-- Each member of staff once in their band and once in 'All grades'.
bands as (
    select * from banded
    union all
    select
        authority_code,
        snapshot_date,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        ethnicity_status,
        'All grades' as grade_band,
        0 as band_order,
        false as is_senior
    from banded
),

band_totals as (
    select
        authority_code,
        snapshot_date,
        grade_band,
        count(*) as band_headcount,
        count(*) filter (where ethnicity_status = 'known') as band_known,
        count(*) filter (where ethnicity_status in ('known', 'unmapped')) as band_declared,
        count(*) filter (where ethnicity_status = 'prefer_not_to_say') as band_prefer_not_to_say
    from bands
    group by authority_code, snapshot_date, grade_band
),

by_code as (
    select
        authority_code,
        snapshot_date,
        grade_band,
        band_order,
        is_senior,
        census_code,
        ethnicity_group,
        ethnicity_major_group,
        ethnicity_display_order,
        count(*) as headcount
    from bands
    where ethnicity_status = 'known'
    group by all
),

levels as (
    {{ workforce_ethnicity_levels('by_code') }}
),

cells as (
    select
        authority_code,
        snapshot_date,
        grade_band,
        band_order,
        is_senior,
        ethnicity_level,
        ethnicity_code,
        reported_group as ethnicity_group,
        min(reported_order)::integer as display_order,
        any_value(parent_group) as parent_group,
        sum(headcount)::integer as headcount
    from levels
    group by all
),

final as (
    select
        cells.*,
        band_totals.band_headcount::integer as band_headcount,
        band_totals.band_known::integer as band_known,
        band_totals.band_declared::integer as band_declared,
        band_totals.band_prefer_not_to_say::integer as band_prefer_not_to_say
    from cells
    inner join band_totals
        on
            cells.authority_code = band_totals.authority_code
            and cells.snapshot_date = band_totals.snapshot_date
            and cells.grade_band = band_totals.grade_band
)

select * from final

-- Which finest codes ("atoms") each ethnic group of the outcome marts stands for, at every level, so
-- disclosure control knows which groups add up to which (Black = African + Caribbean + Other Black;
-- Black African = Somali + Nigerian + ... + recorded at main level only). Atoms: a DfE code as
-- recorded (dfe:BSOM, or dfe:BAFR for a pupil recorded at main level only) and a Census 2021 code
-- recorded by a source that uses Census codes (census:BAFR).
with

dfe_codes as (
    select * from {{ ref('ethnicity_dfe_codes') }}
    where code_level in ('main', 'extended')
),

census as (
    select * from {{ ref('ethnicity_census2021') }}
),

custom as (
    select * from {{ ref('ethnicity_custom_groups') }}
),

dfe_atoms as (
    -- An extended code is its own atom; a main code holds itself and its extended codes.
    select
        case code_level when 'extended' then 'extended' else 'dfe_main' end as ethnicity_level,
        dfe_code as ethnicity_code,
        'dfe:' || dfe_code as atom
    from dfe_codes
    union all
    select
        'dfe_main' as ethnicity_level,
        main_code as ethnicity_code,
        'dfe:' || dfe_code as atom
    from dfe_codes
    where code_level = 'extended'
),

census_atoms as (
    select
        'census2021' as ethnicity_level,
        census_code as ethnicity_code,
        'census:' || census_code as atom
    from census
    union all
    select
        'census2021' as ethnicity_level,
        dfe_codes.census_code as ethnicity_code,
        'dfe:' || dfe_codes.dfe_code as atom
    from dfe_codes
),

major_atoms as (
    select
        'major' as ethnicity_level,
        census.major_group as ethnicity_code,
        census_atoms.atom
    from census_atoms
    inner join census
        on census_atoms.ethnicity_code = census.census_code
),

member_atoms as (
    select
        'census' as code_system,
        ethnicity_code,
        atom
    from census_atoms
    union all
    select
        'dfe' as code_system,
        ethnicity_code,
        atom
    from dfe_atoms
),

custom_atoms as (
    select
        'custom' as ethnicity_level,
        custom.group_code as ethnicity_code,
        member_atoms.atom
    from custom
    inner join member_atoms
        on custom.code_system = member_atoms.code_system and custom.member_code = member_atoms.ethnicity_code
),

known as (
    select * from dfe_atoms
    union all
    select * from census_atoms
    union all
    select * from major_atoms
    union all
    select * from custom_atoms
),

every_atom as (
    -- All: every atom, and people of unknown ethnicity.
    select atom from known
    union
    select 'unknown' as atom
),

final as (
    select distinct * from known
    union all
    select
        'all' as ethnicity_level,
        'All' as ethnicity_code,
        atom
    from every_atom
)

select * from final

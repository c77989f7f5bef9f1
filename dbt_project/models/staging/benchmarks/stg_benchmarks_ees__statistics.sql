-- DfE Explore Education Statistics files read long: one row per file row and indicator it
-- publishes (a number, or a GSS symbol c/low/x/z/u in place of one), with the EES geography and
-- filter columns. Indicators take their canonical names, so a release that renamed a column
-- (pupil_count for t_pupils) lines up with earlier ones.
-- Publication rule: a row of an exclusions indicator (headcount, perm_excl, suspension, ...) belongs
-- to 'exclusions', of a KS4 indicator (t_pupils, t_att8, ...) to 'ks4'; the children's social
-- care indicators (number, percentage, rate_per_10000) are shared by two publications, told apart
-- by the file name: 'cla' when it names cla or looked_after, 'cpp' when it names cpp or
-- child_protection, else 'unknown' (a file the rule does not know: extend it here).
{%- set indicators = {
    'exclusions': ['headcount', 'perm_excl', 'perm_excl_rate', 'suspension', 'susp_rate', 'one_plus_susp',
        'one_plus_susp_rate'],
    'ks4': ['t_pupils', 't_att8', 'avg_att8', 't_l2basics_95', 'pt_l2basics_95'],
    'care': ['number', 'percentage', 'rate_per_10000'],
} %}
with

source as (
    select * from {{ source('benchmarks', 'benchmarks_ees') }}
),

renamed as (
    select
        *,
        case geographic_level
            when 'National' then country_code
            when 'Regional' then region_code
            when 'Local authority' then new_la_code
        end as geography_code,
        case geographic_level
            when 'National' then country_name
            when 'Regional' then region_name
            when 'Local authority' then la_name
        end as geography_name
    from source
),

unpivoted as (
    {%- for publication, names in indicators.items() %}
        {%- for name in names %}
            select
                *,
                '{{ publication }}' as indicator_family,
                '{{ name }}' as indicator,
                {{ name }} as indicator_value,
                {{ name }}_symbol as indicator_symbol
            from renamed
            where {{ name }} is not null or {{ name }}_symbol is not null
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

conformed as (
    select
        case
            when indicator_family != 'care' then indicator_family
            when regexp_matches(lower(_source_file), '(^|[^a-z])(cla|looked_after)([^a-z]|$)') then 'cla'
            when regexp_matches(lower(_source_file), '(^|[^a-z])(cpp|child_protection)([^a-z]|$)') then 'cpp'
            else 'unknown'
        end as publication,
        time_period,
        time_identifier,
        case
            when length(time_period) = 6 then left(time_period, 4) || '/' || right(time_period, 2)
            else time_period
        end as period_label,
        geographic_level,
        geography_code,
        geography_name,
        country_code,
        region_code,
        region_name,
        old_la_code,
        new_la_code,
        la_name,
        school_type,
        characteristic_group,
        characteristic,
        ethnicity_major,
        ethnicity_minor,
        sex,
        free_school_meals,
        indicator,
        indicator_value as value,
        indicator_symbol as symbol,
        _source_file as source_file,
        _source_row as source_row
    from unpivoted
)

select * from conformed

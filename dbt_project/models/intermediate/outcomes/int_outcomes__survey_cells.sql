-- Resident survey outcome cells: weighted shares giving a question's top-2 box answer, by Census 2021,
-- major and custom group and by sex. The base is respondents with a non-blank answer ("Don't know" is
-- in the base, as in the LGA's resident satisfaction surveys). numerator and denominator are sums of
-- weights; sum_weight_squares gives Kish's effective sample size (sum w)^2 / sum w^2, which the
-- confidence interval uses (methods reference §2, docs/methods.md); records counts respondents.
{%- set questions = {
    'rs_trust_council_pct': ['trust_council', ['A great deal', 'A fair amount']],
    'rs_treated_fairly_pct': ['treated_fairly', ['Strongly agree', 'Tend to agree']],
    'rs_satisfied_area_pct': ['satisfaction_area', ['Very satisfied', 'Fairly satisfied']],
    'rs_worry_crime_pct': ['worry_crime', ['Very worried', 'Fairly worried']],
} %}
with

respondents as (
    select
        authority_code,
        survey_wave as period,
        survey_year as period_end_year,
        census_code as eth_census2021,
        ethnicity_major_group as eth_major,
        sex,
        weight,
    {%- for indicator_id, question in questions.items() %}
        {{ question[0] }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ ref('stg_resident_survey__responses') }}
    where survey_year is not null
),

cells as (
    {%- set measures = {} %}
    {%- for indicator_id, question in questions.items() %}
        {%- set answered = question[0] ~ " is not null and trim(" ~ question[0] ~ ") != ''" %}
        {%- set positive = question[0] ~ " in ('" ~ question[1] | join("', '") ~ "')" %}
        {%- do measures.update({
            question[0] ~ '_positive': exact_sum('weight', where=positive),
            question[0] ~ '_base': exact_sum('weight', where=answered),
            question[0] ~ '_base_squares': exact_sum('weight * weight', where=answered),
            question[0] ~ '_respondents': 'count(*) filter (where ' ~ answered ~ ')',
            question[0] ~ '_unknown': 'count(*) filter (where ' ~ answered ~ ' and eth_census2021 is null)',
        }) %}
    {%- endfor %}
    {{ outcome_cells('respondents', ethnicity_levels=['census2021', 'major'], dimensions=['sex'], measures=measures) }}
),

final as (
    {%- set indicators = {} %}
    {%- for indicator_id, question in questions.items() %}
        {%- do indicators.update({indicator_id: {
            'numerator': 'coalesce(' ~ question[0] ~ '_positive, 0)',
            'denominator': question[0] ~ '_base',
            'sum_weight_squares': question[0] ~ '_base_squares',
            'records': question[0] ~ '_respondents',
            'unknown': question[0] ~ '_unknown',
            'where': question[0] ~ '_respondents > 0',
        }}) %}
    {%- endfor %}
    {{ outcome_indicator_rows('cells', indicators) }}
)

select * from final

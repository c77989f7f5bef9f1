-- The rows each source's files put in the warehouse, by file, authority and period, read back from
-- staging (so the periods are the ones the marts use), with how ethnicity was recorded on them.
-- publish.data_quality reconciles these against what the ingest says it read (raw.load_log).
-- Every contract needs a line here: a source missing from it shows rows in but none loaded, and
-- the data-quality table's rows-in test fails.
{%- set academic_year_end = "make_date(cast(left(academic_year, 4) as integer) + 1, 8, 31)" %}
with

sources as (
    {{ dq_loaded_rows('action_plan', 'stg_action_plan__actions', 'as_at_date', 'as_at_date',
                      ethnicity=false) }}
    union all
    {{ dq_loaded_rows('benchmarks_ees', 'stg_benchmarks_ees__statistics', 'time_period',
                      "case when length(time_period) = 6
                            then make_date(cast(left(time_period, 4) as integer) + 1, 8, 31)
                            else make_date(cast(left(time_period, 4) as integer), 3, 31) end",
                      authority=none, records='count(distinct source_row)', ethnicity=false) }}
    union all
    {{ dq_loaded_rows('child_protection', 'stg_child_protection__plans', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('cla', 'stg_cla__episodes', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('exclusions', 'stg_exclusions__events', 'academic_year', academic_year_end,
                      ethnicity=false) }}
    union all
    {{ dq_loaded_rows('eyfsp', 'stg_eyfsp__assessments', 'academic_year', academic_year_end,
                      ethnicity=false) }}
    union all
    {{ dq_loaded_rows('fingertips', 'stg_fingertips__indicator_values', 'time_period',
                      "case when time_period like '%/%' then make_date(period_end_year, 3, 31)
                            else make_date(period_end_year, 12, 31) end",
                      authority=none) }}
    union all
    {{ dq_loaded_rows('hr_casework', 'stg_hr__cases', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('hr_leavers', 'stg_hr__leavers', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('hr_payroll', 'stg_hr__payroll', 'snapshot_date', 'snapshot_date') }}
    union all
    {{ dq_loaded_rows('hr_recruitment', 'stg_hr__applications', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('hr_training', 'stg_hr__training', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('ks4', 'stg_ks4__results', 'academic_year', academic_year_end, ethnicity=false) }}
    union all
    -- one staging row per age band: count each file row once, at its all-ages band
    {{ dq_loaded_rows('population', 'stg_population__residents', 'estimate_date', 'estimate_date',
                      where="band_type = 'total'") }}
    union all
    -- staging adds one all-residents total per line; the file's records are the categories
    {{ dq_loaded_rows('population_census', 'stg_population_census__residents', 'census_year',
                      'make_date(census_year, 3, 21)', authority=none,
                      where="ethnicity_recorded != 'Total: All usual residents'") }}
    union all
    {{ dq_loaded_rows('resident_survey', 'stg_resident_survey__responses', 'survey_wave',
                      'make_date(cast(left(survey_wave, 4) as integer) + 1, 3, 31)') }}
    union all
    {{ dq_loaded_rows('school_census', 'stg_school_census__pupils', 'census_date', 'census_date') }}
    union all
    {{ dq_loaded_rows('stop_search', 'stg_stop_search__searches', 'year_ending', 'year_ending') }}
    union all
    {{ dq_loaded_rows('youth_justice', 'stg_youth_justice__outcomes', 'year_ending', 'year_ending') }}
)

select * from sources

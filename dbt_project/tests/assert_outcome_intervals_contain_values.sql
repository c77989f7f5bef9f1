-- Every interval the outcome mart publishes contains its estimate: lower CI <= value <= upper CI, and
-- the same for the relative rate index. A small tolerance allows for floating point.
select
    authority_code,
    period,
    indicator_id,
    breakdown,
    ethnicity_level,
    ethnicity_code,
    sex,
    fsm,
    sen,
    value,
    lower_ci,
    upper_ci,
    rri,
    rri_lower_ci,
    rri_upper_ci
from {{ ref('outcome_indicator_estimates') }}
where
    lower_ci > value + 1e-9
    or upper_ci < value - 1e-9
    or rri_lower_ci > rri + 1e-9
    or rri_upper_ci < rri - 1e-9

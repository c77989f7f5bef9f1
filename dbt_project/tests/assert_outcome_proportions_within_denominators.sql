-- A proportion counts persons within its denominator: numerator <= denominator, both non-negative.
select
    outcomes.authority_code,
    outcomes.period,
    outcomes.indicator_id,
    outcomes.breakdown,
    outcomes.ethnicity_code,
    outcomes.numerator,
    outcomes.denominator
from {{ ref('outcome_indicator_estimates') }} as outcomes
where
    outcomes.statistic in ('proportion', 'weighted_proportion')
    and (outcomes.numerator > outcomes.denominator + 1e-9 or outcomes.numerator < 0 or outcomes.denominator <= 0)

-- Hourly pay of every relevant employee by the Equality Act 2010 (Specific Duties and Public
-- Authorities) Regulations 2017 Sch. 1: (ordinary pay + bonus pro-rated to the period)
-- x (7 / days in the period) / weekly hours. Days: 7, 14, 28, 30.44 (month), 365.25 (year).
with

payroll as (
    select * from {{ ref('stg_hr__payroll') }}
),

periods as (
    select
        *,
        case pay_period
            when 'weekly' then 7
            when 'fortnightly' then 14
            when 'four-weekly' then 28
            when 'monthly' then 30.44
            when 'annual' then 365.25
        end as days_in_period
    from payroll
),

hourly as (
    select
        *,
        basic_pay_in_period + allowances_in_period as ordinary_pay_in_period,
        bonus_pay_12m * days_in_period / 365.25 as bonus_pay_in_period,
        -- Rounded to 1e-8 pounds: far below a penny, and floating-point noise cannot flip a median.
        round(
            (basic_pay_in_period + allowances_in_period + bonus_pay_12m * days_in_period / 365.25)
            * 7.0 / days_in_period / weekly_hours,
            8
        ) as hourly_pay,
        not is_on_reduced_pay_leave as is_full_pay_relevant,
        bonus_pay_12m > 0 as received_bonus
    from periods
)

select * from hourly

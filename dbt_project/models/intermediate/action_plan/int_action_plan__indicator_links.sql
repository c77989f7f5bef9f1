-- Each action's links to the indicators it is meant to move (seed action_plan_indicator_links),
-- one row per authority x action x indicator x targeted group. A link names its action by reference
-- (action_ref, as the authority's tracker writes it), by description (action_description, compared
-- case- and punctuation-blind: for plans shared by several authorities whose numbering differs), or
-- both (both must match); a blank authority_code applies it to every authority. When an authority's
-- own row and an every-authority row give the same indicator and group, the authority's wins.
with

actions as (
    select * from {{ ref('int_action_plan__actions') }}
),

links as (
    select
        nullif(upper(trim(authority_code)), '') as authority_code,
        nullif(trim(action_ref), '') as action_ref,
        nullif({{ normalise_label('action_description') }}, '') as action_description_normalised,
        trim(indicator_id) as indicator_id,
        nullif(trim(ethnicity_code), '') as ethnicity_code,
        rationale
    from {{ ref('action_plan_indicator_links') }}
),

matched as (
    select
        actions.authority_code,
        actions.action_ref,
        links.indicator_id,
        links.ethnicity_code,
        links.rationale,
        links.authority_code is not null as is_authority_link
    from actions
    inner join links
        on
            (links.authority_code is null or actions.authority_code = links.authority_code)
            and (links.action_ref is not null or links.action_description_normalised is not null)
            and (links.action_ref is null or actions.action_ref = links.action_ref)
            and (
                links.action_description_normalised is null
                or links.action_description_normalised = {{ normalise_label('actions.action_description') }}
            )
),

final as (
    select * from matched
    qualify row_number() over (
        partition by authority_code, action_ref, indicator_id, ethnicity_code
        order by is_authority_link desc, rationale asc
    ) = 1
)

select * from final

-- publish.workforce_relative_likelihood from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.workforce_relative_likelihood
select * from publish.workforce_relative_likelihood

-- publish.pay_gap from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.pay_gap
select * from publish.pay_gap

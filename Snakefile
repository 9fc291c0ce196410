# Regions extraction using Dictionary Learning and functional connectomes:
# nilearn's gallery example as a Snakemake workflow. See README.md.
#
# The workflow is workflow/Snakefile, where snakedeploy and the Snakemake
# workflow catalog look for it; this file runs it from the repository's root.


include: "workflow/Snakefile"


# An include keeps the including file's default target: make it the workflow's
# (by its name as used, which a module's `use rule * from … as …` may prefix).
workflow.default_target = rules.all.rule.name

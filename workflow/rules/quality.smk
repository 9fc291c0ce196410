# Quality control: every run's volumes and motion in one table, and QC-FC.


rule qc_table:
    input:
        qc=every_run(rules.subject_timeseries.output.qc),
    output:
        table="results/group/qc.tsv",
    log:
        "results/logs/qc_table.log",
    benchmark:
        "results/benchmarks/qc_table.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    script:
        "../scripts/qc_table.py"


# QC-FC (Power et al. 2012; Parkes et al. 2018): per edge, the correlation
# across the group's units between connectivity and mean framewise displacement.
rule qcfc:
    input:
        relmats=every_run(f"{RELMAT}.tsv", kind="correlation"),
        sidecars=every_run(f"{RELMAT}.json", kind="correlation"),
        qc=rules.qc_table.output.table,
        regions=REGIONS.table,
    output:
        table="results/group/qcfc.tsv",
        summary="results/group/qcfc.json",
    log:
        "results/logs/qcfc.log",
    benchmark:
        "results/benchmarks/qcfc.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        confounds=config["confounds"],
        unit=config["group_unit"],
    script:
        "../scripts/qcfc.py"

# Quality control: every run's volumes and motion, and QC-FC (motion in the connectomes).


rule qc_table:
    input:
        qc=expand(rules.subject_timeseries.output.qc, scan=SCAN.values()),
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


# Power 2012, Ciric 2017, Parkes 2018: across subjects, each edge's correlation
# with mean framewise displacement, and how that depends on distance.
rule qcfc:
    input:
        relmats=expand(subject_relmats, kind="correlation"),
        sidecars=expand(subject_relmat_sidecars, kind="correlation"),
        qc=rules.qc_table.output.table,
        regions=REGIONS.table,
    output:
        table="results/group/qcfc.tsv",
        summary="results/group/qcfc.json",
        figure=report(
            "results/figures/qcfc.png",
            category="Quality",
            subcategory="Group",
            caption="../report/qcfc.rst",
            labels={"figure": "QC-FC"},
        ),
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
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/qcfc.py"

# Quality control: every run's volumes and motion in one table (QC-FC: plot_quality).


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

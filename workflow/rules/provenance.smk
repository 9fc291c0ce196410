# How every number was made: config, software, inputs, a methods paragraph.


rule provenance:
    input:
        files=all_inputs,
    output:
        provenance="results/provenance.json",
        methods="results/methods.md",
    log:
        "results/logs/provenance.log",
    benchmark:
        "results/benchmarks/provenance.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=30,
    params:
        config=config,
        subjects=subject_files(),
    script:
        "../scripts/provenance.py"

# Region extraction from the component maps.


rule extract_regions:
    input:
        components=rules.decompose.output.components,
    output:
        regions="results/group/regions.nii.gz",
        table="results/group/regions.tsv",
    log:
        "results/logs/extract_regions.log",
    benchmark:
        "results/benchmarks/extract_regions.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=10,
    params:
        regions=pick("regions", EXTRACTION_KEYS),
    script:
        "../scripts/extract_regions.py"

# Region extraction from the component maps.


rule extract_regions:
    input:
        components=rules.decompose.output.components,
    output:
        regions="results/group/regions.nii.gz",
        table="results/group/regions.tsv",
    params:
        regions=pick(
            "regions",
            [
                "threshold",
                "thresholding_strategy",
                "extractor",
                "min_region_size",
                "smoothing_fwhm",
            ],
        ),
    log:
        "results/logs/extract_regions.log",
    benchmark:
        "results/benchmarks/extract_regions.tsv"
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/extract_regions.py"

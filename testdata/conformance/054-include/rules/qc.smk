rule qc:
    input: "main.txt"
    output: "qc/{s}.txt"
    shell: "echo qc s={wildcards.s} >> $JOURNAL; cat {input} > {output}; echo {wildcards.s} >> {output}"

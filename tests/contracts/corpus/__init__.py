"""Real spec version pairs and the tool that cuts them: see corpus.yaml."""

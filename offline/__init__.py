"""The offline sample: real files in offline/sample/, generated data for the tables without one
(offline/synthetic.py), and the replay transport that answers the real GENESIS client from both."""

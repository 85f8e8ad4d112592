"""The kernel every area builds on: the message envelope, rule marks and the rulebook,
the Context rules decide in, the engine that folds one input, and the state."""

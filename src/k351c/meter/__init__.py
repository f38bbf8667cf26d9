"""The meter layer: metrology, registers and every function of the Kamstrup 351C."""

"""Training: the GANs, KeepTraining, the image models. A trained model goes through a model cache
the caller passes in (the book's is ``drs_book.cache.ModelCache``); nothing here imports it.

- :mod:`drs_lib.training.train`            2D GAN training, S seeds stacked, and the per-seed random streams
- :mod:`drs_lib.training.keep_training`    the paper's KeepTraining (and ``fit_discriminator`` for any module)
- :mod:`drs_lib.training.train_images`     image classifier, hinge GAN (the shared hinge loop) and BCE head
- :mod:`drs_lib.training.conditional_gan`  the class-conditional DCGAN of the "your own GAN" chapter
"""

"""Packaging for cclslr.

The OpenMMLab packages (mmaction2, mmpose, mmdet) are deliberately not listed in install_requires:
their metadata demands packages that do not build or import here (chumpy, torchvision), so they are
installed with ``pip install --no-deps`` by ``tools/install.sh``. See docs/install.md.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(path):
    with open(osp.join(osp.dirname(__file__), path)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    ns = {}
    with open(osp.join(osp.dirname(__file__), 'cclslr', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='cclslr',
    version=read_version(),
    description='Cross-modal consistency learning for isolated sign language recognition '
                '(RGB + pose), on MMEngine',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['cclslr', 'cclslr.*']),
    python_requires='>=3.10',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
    zip_safe=False,
)

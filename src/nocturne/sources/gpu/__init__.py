"""GPUs read directly (NVML, amdgpu and i915/xe sysfs), for PCs without LibreHardwareMonitor.

:class:`~.chooser.GpuSource` reads them all and picks the one the boards show;
:func:`~.model.gpu_list` is the plain data of every GPU for the dashboard.
"""

from .chooser import GpuSource, choose
from .model import Gpu, GpuReading, gpu_list

__all__ = ["Gpu", "GpuReading", "GpuSource", "choose", "gpu_list"]

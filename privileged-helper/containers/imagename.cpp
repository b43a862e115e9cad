#include "imagename.h"

#include "imagereference.h"

namespace Hamlet::Containers::ImageName {

// One grammar for the whole project: core's ImageReference, which pulls use too, so that an
// imported "alpine" and a pulled one get the same stored name.

bool isValid(const QString &name)
{
    return ImageReference::parse(name).has_value();
}

QString normalized(const QString &reference)
{
    const std::optional<ImageReference> parsed = ImageReference::parse(reference);
    return parsed ? parsed->name() : QString();
}

} // namespace Hamlet::Containers::ImageName
